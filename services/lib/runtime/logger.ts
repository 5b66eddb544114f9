export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** The same level and sink for another part (the host's broker, recorder...): only `origin` differs. */
  child(origin: string): Logger;
}

/** Where a finished line goes: `line` is one JSON object and its newline. */
export type LogSink = (line: string, level: LogLevel) => void;

export interface LoggerOptions {
  /** lines below this level are dropped (default: ALICIA_LOG_LEVEL, else info) */
  level?: LogLevel;
  /** default: stdioSink */
  sink?: LogSink;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The default sink: info and below to stdout, warn and error to stderr. A service's supervisor
 * captures both into the service's log file and the alicia/system/logs/<service> topic, so never
 * log secrets.
 */
export const stdioSink: LogSink = (line, level) => void (ORDER[level] >= ORDER.warn ? process.stderr : process.stdout).write(line);

/**
 * The one logger of the project (services, host, broker, recorder, desktop shell): JSON lines
 * `{t, level, origin, msg, ...fields}`, where `origin` says which part wrote the line (a service's
 * name, "host", "broker", ...). A bare level is short for `{ level }`.
 */
export function createLogger(origin: string, opts: LogLevel | LoggerOptions = {}): Logger {
  const { level = (process.env.ALICIA_LOG_LEVEL as LogLevel | undefined) || 'info', sink = stdioSink } =
    typeof opts === 'string' ? { level: opts } : opts;
  const min = ORDER[level] ?? ORDER.info;
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level: lvl, origin, msg, ...(fields && safeFields(fields)) }) + '\n', lvl);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (other) => createLogger(other, { level, sink }),
  };
}

/** Warnings and errors to stderr, nothing else: the default of the host's in-process parts when nobody gives them a logger. */
export const stderrSink: LogSink = (line, level) => {
  if (ORDER[level] >= ORDER.warn) process.stderr.write(line);
};

const RESERVED = new Set(['t', 'level', 'origin', 'msg']);

/** A field named like a line key (e.g. a request's `origin`) must not overwrite it: it is renamed `<key>_`. */
function safeFields(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(fields)) {
    if (!RESERVED.has(k)) continue;
    out ??= { ...fields };
    out[`${k}_`] = out[k];
    delete out[k];
  }
  return out ?? fields;
}

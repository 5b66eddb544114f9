export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * JSON lines: info and below to stdout, warn and error to stderr. The supervisor captures both into
 * the service's log file and the alicia/system/logs/<service> topic, so never log secrets here.
 */
export function createLogger(service: string, level: LogLevel = (process.env.ALICIA_LOG_LEVEL as LogLevel) || 'info'): Logger {
  const min = ORDER[level] ?? ORDER.info;
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level: lvl, service, msg, ...(fields && safeFields(fields)) }) + '\n';
    (ORDER[lvl] >= ORDER.warn ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

const RESERVED = new Set(['t', 'level', 'service', 'msg']);

/** A field named like a line key (e.g. discovery logging which `service` registered) must not overwrite it. */
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

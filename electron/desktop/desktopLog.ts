import type { Logger, LogLevel } from '../../services/lib/runtime/logger.js';
import { RotatingFile } from '../host/supervisor/rotatingFile.js';

/**
 * The desktop app's own log: JSON lines to <userData>/logs/desktop.log (rotated like the service logs)
 * and to stdout/stderr. A packaged app has no terminal, so without the file a startup failure on a
 * user's machine would leave no trace. Services log to their own files in the same folder (supervisor).
 */
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createDesktopLog(file: string, level: LogLevel = 'info', echo = true): Logger & { readonly file: string } {
  let fileError: Error | undefined;
  const out = new RotatingFile(file, { maxBytes: 5 * 1024 * 1024, keep: 3 }, (e) => {
    fileError = e;
    process.stderr.write(`alicia: cannot write ${file}: ${e.message}\n`);
  });
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level: lvl, service: 'desktop', msg, ...fields }) + '\n';
    if (!fileError) out.append(line);
    if (echo) (ORDER[lvl] >= ORDER.warn ? process.stderr : process.stdout).write(line);
  };
  return {
    file,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

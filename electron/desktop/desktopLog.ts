import { createLogger, stdioSink } from '../../services/lib/runtime/logger.js';
import type { Logger, LogLevel } from '../../services/lib/runtime/logger.js';
import { RotatingFile } from '../host/supervisor/rotatingFile.js';

/**
 * The desktop app's own log: JSON lines to <userData>/logs/desktop.log (rotated like the service logs)
 * and to stdout/stderr. A packaged app has no terminal, so without the file a startup failure on a
 * user's machine would leave no trace. Services log to their own files in the same folder (supervisor).
 */
export function createDesktopLog(file: string, level: LogLevel = 'info', echo = true): Logger & { readonly file: string } {
  let fileError: Error | undefined;
  const out = new RotatingFile(file, { maxBytes: 5 * 1024 * 1024, keep: 3 }, (e) => {
    fileError = e;
    process.stderr.write(`alicia: cannot write ${file}: ${e.message}\n`);
  });
  const log = createLogger('desktop', {
    level,
    sink: (line, lvl) => {
      if (!fileError) out.append(line);
      if (echo) stdioSink(line, lvl);
    },
  });
  return Object.assign(log, { file });
}

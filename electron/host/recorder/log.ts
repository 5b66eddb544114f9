export interface RecorderLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The log of a Recorder given none: warnings and errors as JSON lines on stderr. */
export const stderrLog: RecorderLog = {
  info: () => {},
  warn: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: 'warn', part: 'recorder', msg, ...fields })}\n`),
  error: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: 'error', part: 'recorder', msg, ...fields })}\n`),
};

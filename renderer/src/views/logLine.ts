/**
 * Services log JSON lines ({t, level, origin, msg, ...fields}, services/lib/runtime/logger.ts); people
 * read "WARN msg key=value". The origin is left out (the view already shows whose log it is). Lines
 * written before the key was named `origin` carry `service` instead: left out as well when there is no
 * `origin` (in a newer line `service` is an ordinary field and shown). Anything that is not such a line
 * is shown as it came.
 */
interface LogLineView {
  level: string | null;
  text: string;
}

export function formatLogLine(raw: string): LogLineView {
  if (!raw.startsWith('{')) return { level: null, text: raw };
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return { level: null, text: raw };
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { level: null, text: raw };
  const { t: _t, level, origin, msg, ...rest } = o as Record<string, unknown>;
  if (typeof msg !== 'string') return { level: null, text: raw };
  if (origin === undefined) delete rest.service;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return { level: typeof level === 'string' ? level : null, text: fields ? `${msg}  ${fields}` : msg };
}

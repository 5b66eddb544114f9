/**
 * Services log JSON lines ({t, level, service, msg, ...fields}); people read "WARN msg key=value".
 * Anything that is not such a line is shown as it came.
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
  const { t: _t, level, service: _service, msg, ...rest } = o as Record<string, unknown>;
  if (typeof msg !== 'string') return { level: null, text: raw };
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return { level: typeof level === 'string' ? level : null, text: fields ? `${msg}  ${fields}` : msg };
}

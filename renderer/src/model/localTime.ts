/** "2026-12-04T20:10:05" (local) for a datetime-local input (step 1: seconds shown), and back. */
export function toLocalInput(t: number | null): string {
  if (t === null) return '';
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

/**
 * The input's time; as the end of a range, the end of the second it shows, so "to 20:10:05" includes
 * 20:10:05.900. Always a second: the inputs show seconds, and the browser gives "20:10" for
 * "20:10:00" (a normalised value leaves zero seconds out), which once widened "to 20:10:00" to the
 * whole minute.
 */
export function fromLocalInput(v: string, end = false): number | null {
  if (v === '') return null;
  const t = new Date(v).getTime();
  if (!Number.isFinite(t)) return null;
  return end ? t + 999 : t;
}

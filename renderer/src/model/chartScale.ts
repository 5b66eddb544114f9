/**
 * Axes for the line charts: a y range fitted to the data with round tick values (a 19-23 °C series
 * fills the plot instead of hugging its top), clock-time ticks on x at round intervals, and the
 * sample nearest to a time for hover read-outs. Pure, unit-tested.
 */

export interface Sample {
  t: number;
  v: number;
}

export interface ValueScale {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * Round bounds around [min, max] with about `maxTicks` ticks. `zero` keeps 0 in range (counts and
 * rates, where the distance from zero means something). A flat series gets a band around its value.
 */
export function niceScale(min: number, max: number, opts: { maxTicks?: number; zero?: boolean } = {}): ValueScale {
  const maxTicks = opts.maxTicks ?? 5;
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (opts.zero) {
    min = Math.min(0, min);
    max = Math.max(0, max);
  }
  if (max - min < 1e-9) {
    const pad = Math.abs(max) > 1e-9 ? Math.abs(max) * 0.1 : 1;
    if (opts.zero && min >= 0) max += pad;
    else if (opts.zero && max <= 0) min -= pad;
    else {
      min -= pad;
      max += pad;
    }
  }
  const step = niceStep((max - min) / Math.max(1, maxTicks - 1));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo, hi, step, ticks };
}

/** A tick value with as many decimals as its step needs: 0.25 -> "0.25", 2500 -> "2.5k". */
export function formatTick(v: number, step: number): string {
  if (Math.abs(v) >= 10_000 || (Math.abs(v) >= 1000 && step >= 100)) {
    const k = v / 1000;
    return `${Number(k.toFixed(step >= 1000 ? 0 : 1))}k`;
  }
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(decimals);
}

/** A value for a read-out: up to 3 decimals, no trailing zeros. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 1 : 3)));
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A clock time for an axis or read-out: "14:05:30", "14:05", or "Dec 4" for day steps. */
export function clockLabel(t: number, step: number): string {
  const d = new Date(t);
  if (step >= DAY) return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return step >= MINUTE ? hm : `${hm}:${pad2(d.getSeconds())}`;
}

/** Clock-time ticks between `from` and `to`, on round local times, at most `maxTicks`. */
export function timeTicks(from: number, to: number, maxTicks: number): { t: number; label: string }[] {
  if (!(to > from) || maxTicks < 1) return [];
  const step = TIME_STEPS.find((s) => (to - from) / s <= maxTicks) ?? Math.ceil((to - from) / maxTicks / DAY) * DAY;
  // Round in local time: shift by the zone offset so "every hour" lands on hh:00 here.
  const offset = new Date(from).getTimezoneOffset() * MINUTE;
  let t = Math.ceil((from - offset) / step) * step + offset;
  const out: { t: number; label: string }[] = [];
  for (; t <= to; t += step) out.push({ t, label: clockLabel(t, step) });
  return out;
}

/** Index of the sample nearest to `t` in samples sorted by time; -1 when there are none. */
export function nearestIndex(samples: readonly Sample[], t: number): number {
  if (samples.length === 0) return -1;
  let lo = 0;
  let hi = samples.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as Sample).t < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && t - (samples[lo - 1] as Sample).t <= (samples[lo] as Sample).t - t) return lo - 1;
  return lo;
}

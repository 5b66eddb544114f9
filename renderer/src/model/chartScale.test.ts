import { describe, expect, it } from 'vitest';
import { formatTick, formatValue, nearestIndex, niceScale, timeTicks } from './chartScale.js';

describe('chart scales', () => {
  it('fits the y range to the data: a 19-23 °C series fills the plot', () => {
    const s = niceScale(19.2, 22.8);
    expect([s.lo, s.hi]).toEqual([19, 23]);
    expect(s.ticks).toEqual([19, 20, 21, 22, 23]);
    // rates keep zero in range
    expect(niceScale(12, 48, { zero: true }).lo).toBe(0);
    expect(niceScale(12, 48).lo).toBeGreaterThan(0);
  });

  it('gives a flat or empty series a band around its value', () => {
    const flat = niceScale(21, 21);
    expect(flat.lo).toBeLessThan(21);
    expect(flat.hi).toBeGreaterThan(21);
    expect(niceScale(0, 0, { zero: true })).toMatchObject({ lo: 0, hi: 1 });
    expect(niceScale(Infinity, -Infinity)).toMatchObject({ lo: 0, hi: 1 });
  });

  it('labels ticks with the decimals their step needs', () => {
    const s = niceScale(0.1, 0.9);
    expect(s.ticks.map((v) => formatTick(v, s.step))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(formatTick(25_000, 5000)).toBe('25k');
    expect(formatValue(21.456789)).toBe('21.457');
    expect(formatValue(12345.6)).toBe('12,346');
  });

  it('puts clock-time ticks on round local times inside the range', () => {
    const from = new Date(2026, 11, 4, 14, 3, 10).getTime();
    const ticks = timeTicks(from, from + 5 * 60_000, 6);
    expect(ticks.map((t) => t.label)).toEqual(['14:04', '14:05', '14:06', '14:07', '14:08']);
    const short = timeTicks(from, from + 20_000, 5);
    expect(short.map((t) => t.label)).toEqual(['14:03:10', '14:03:15', '14:03:20', '14:03:25', '14:03:30']);
    const days = timeTicks(from, from + 3 * 86_400_000, 4);
    expect(days.map((t) => t.label)).toEqual(['Dec 5', 'Dec 6', 'Dec 7']);
    expect(timeTicks(5, 5, 4)).toEqual([]);
  });

  it('finds the sample nearest to a time', () => {
    const s = [10, 20, 30, 40].map((t) => ({ t, v: t }));
    expect([0, 14, 16, 25, 39, 99].map((t) => nearestIndex(s, t))).toEqual([0, 0, 1, 1, 3, 3]);
    expect(nearestIndex([], 5)).toBe(-1);
  });
});

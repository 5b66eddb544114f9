import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput } from './localTime.js';

describe('datetime-local values', () => {
  it('a range end is the end of the second shown, also when the browser leaves out zero seconds', () => {
    const t = new Date(2026, 11, 5, 12, 34, 0).getTime();
    expect(fromLocalInput('2026-12-05T12:34:00', true)).toBe(t + 999);
    // what Chromium's input reports for 12:34:00
    expect(fromLocalInput('2026-12-05T12:34', true)).toBe(t + 999);
    expect(fromLocalInput('2026-12-05T12:34:05', true)).toBe(t + 5_999);
    expect(fromLocalInput('2026-12-05T12:34')).toBe(t);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('not a time')).toBeNull();
  });

  it('round-trips a time to the second', () => {
    const t = new Date(2026, 11, 5, 12, 34, 56, 789).getTime();
    expect(toLocalInput(t)).toBe('2026-12-05T12:34:56');
    expect(fromLocalInput(toLocalInput(t))).toBe(t - 789);
    expect(toLocalInput(null)).toBe('');
  });
});

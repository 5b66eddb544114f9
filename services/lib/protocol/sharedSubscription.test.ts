import { describe, expect, it } from 'vitest';
import { parseSharedFilter, sharedFilter } from './sharedSubscription.js';

describe('shared subscription filters', () => {
  it('builds and reads $share/<group>/<filter>', () => {
    const f = sharedFilter('stt', 'alicia/voice/stt/request');
    expect(f).toBe('$share/stt/alicia/voice/stt/request');
    expect(parseSharedFilter(f)).toEqual({ ok: true, group: 'stt', filter: 'alicia/voice/stt/request' });
    // the inner filter keeps its own wildcards and levels, empty ones included
    expect(parseSharedFilter('$share/g/#')).toEqual({ ok: true, group: 'g', filter: '#' });
    expect(parseSharedFilter('$share/g//a/+')).toEqual({ ok: true, group: 'g', filter: '/a/+' });
  });

  it('an ordinary filter is not a shared one', () => {
    for (const f of ['alicia/#', '$SYS/#', '$sharex/g/a', 'share/g/a']) expect(parseSharedFilter(f)).toBeNull();
  });

  it('says why an invalid one is invalid', () => {
    const bad: [string, RegExp][] = [
      ['$share/g', /no topic filter/],
      ['$share//a', /empty/],
      ['$share/+/a', /may not contain/],
      ['$share/g#/a', /may not contain/],
      ['$share/#', /no topic filter/],
      ['$share/g/', /filter is required/],
      ['$share/g/a/#/b', /'#' must be the whole last level/],
    ];
    for (const [f, why] of bad) {
      const r = parseSharedFilter(f);
      expect(r?.ok, f).toBe(false);
      expect(r && !r.ok ? r.reason : '', f).toMatch(why);
    }
    expect(() => sharedFilter('a/b', 'x')).toThrow(RangeError);
    expect(() => sharedFilter('g', 'a/#/b')).toThrow(RangeError);
  });
});

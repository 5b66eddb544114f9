import { describe, expect, it } from 'vitest';
import { RetainedSnapshot } from './retainedSnapshot.js';

describe('RetainedSnapshot: replacing the retained state after a reconnection', () => {
  it('what was not sent again after the reconnection is gone; what was, or arrived live, stays', () => {
    const s = new RetainedSnapshot();
    s.hold('alicia/device/status/lamp', 'alicia/device/status/+');
    s.hold('alicia/device/status/fan', 'alicia/device/status/+');
    s.hold('alicia/system/host', 'alicia/system/host');
    expect(s.end()).toEqual([]); // no resync running: nothing to sweep

    s.begin();
    expect(s.resyncing).toBe(true);
    s.hold('alicia/device/status/lamp', 'alicia/device/status/+');
    s.hold('alicia/system/host', 'alicia/system/host');
    s.hold('alicia/device/status/new', 'alicia/device/status/+');
    expect(s.end()).toEqual([{ topic: 'alicia/device/status/fan', pattern: 'alicia/device/status/+' }]);
    expect(s.resyncing).toBe(false);

    // swept topics are forgotten: the next resync does not report them again
    s.begin();
    s.hold('alicia/device/status/lamp', 'alicia/device/status/+');
    s.hold('alicia/device/status/new', 'alicia/device/status/+');
    expect(s.end()).toEqual([{ topic: 'alicia/system/host', pattern: 'alicia/system/host' }]);
  });

  it('a topic cleared by an empty payload is not swept again', () => {
    const s = new RetainedSnapshot();
    s.hold('a', 'a');
    s.release('a');
    s.begin();
    expect(s.end()).toEqual([]);
  });
});

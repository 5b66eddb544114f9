import { describe, expect, it } from 'vitest';
import { LoopGuard } from './loopGuard.js';

const b = (s: string) => Buffer.from(s);

describe('loop guard', () => {
  it('drops the echo of what the bridge published on a side, once per publish, by topic and exact payload', () => {
    const g = new LoopGuard();
    g.published('local', 'z/lamp', b('ON'), false, true);
    g.published('local', 'z/lamp', b('ON'), false, true);
    expect(g.isEcho('local', 'z/lamp', b('OFF'), false)).toBe(false); // someone else's message
    expect(g.isEcho('upstream', 'z/lamp', b('ON'), false)).toBe(false); // the other side
    expect(g.isEcho('local', 'z/lamp', b('ON'), false)).toBe(true);
    expect(g.isEcho('local', 'z/lamp', b('ON'), false)).toBe(true);
    expect(g.isEcho('local', 'z/lamp', b('ON'), false)).toBe(false); // a third, real one passes
    expect(g.waiting).toBe(0);
  });

  it('expects no echo where the bridge holds no filter, so a later identical message is not eaten', () => {
    const g = new LoopGuard();
    g.published('upstream', 'z/lamp/set', b('ON'), false, false);
    expect(g.isEcho('upstream', 'z/lamp/set', b('ON'), false)).toBe(false);
  });

  it('drops a retained copy of its own retained publish on every re-subscribe, until the topic changes', () => {
    const g = new LoopGuard();
    g.published('local', 'z/state', b('{"state":"ON"}'), true, false);
    expect(g.isEcho('local', 'z/state', b('{"state":"ON"}'), true)).toBe(true);
    expect(g.isEcho('local', 'z/state', b('{"state":"ON"}'), true)).toBe(true);
    expect(g.isEcho('local', 'z/state', b('{"state":"ON"}'), false)).toBe(false); // live, not expected: real
    g.published('local', 'z/state', b(''), true, false); // cleared
    expect(g.isEcho('local', 'z/state', b('{"state":"ON"}'), true)).toBe(false);
  });

  it('forgets an expected echo after its time to live, and stays bounded', () => {
    let now = 0;
    const g = new LoopGuard(1000, 3, () => now);
    g.published('local', 't', b('x'), false, true);
    now = 1001;
    expect(g.isEcho('local', 't', b('x'), false)).toBe(false);
    for (let i = 0; i < 10; i++) g.published('local', `t${i}`, b('x'), false, true);
    expect(g.waiting).toBe(3);
    expect(g.isEcho('local', 't9', b('x'), false)).toBe(true);
    expect(g.isEcho('local', 't0', b('x'), false)).toBe(false);
  });
});

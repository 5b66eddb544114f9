import { describe, expect, it } from 'vitest';
import { ContextStore } from './contextStore.js';

describe('ContextStore', () => {
  it('keeps a session context until it has not been used for the ttl', () => {
    let t = 0;
    const s = new ContextStore(1000, 10, () => t);
    s.set('a', { last_device: 'kitchen_light' });
    t = 900;
    expect(s.get('a')).toEqual({ last_device: 'kitchen_light' });
    t = 1800; // used at 900, so still live
    expect(s.get('a')).toEqual({ last_device: 'kitchen_light' });
    t = 2801;
    expect(s.get('a')).toEqual({});
    expect(s.size).toBe(0);
  });

  it('evicts the least recently used session beyond the bound', () => {
    let t = 0;
    const s = new ContextStore(60_000, 2, () => t);
    s.set('a', { n: 1 });
    t = 1;
    s.set('b', { n: 2 });
    t = 2;
    s.get('a'); // a is now more recent than b
    t = 3;
    s.set('c', { n: 3 });
    expect(s.size).toBe(2);
    expect(s.get('b')).toEqual({});
    expect(s.get('a')).toEqual({ n: 1 });
    expect(s.get('c')).toEqual({ n: 3 });
  });

  it('hands out copies, so a caller cannot change a stored context by accident', () => {
    const s = new ContextStore(1000, 10);
    s.set('a', { n: 1 });
    const c = s.get('a');
    c.n = 2;
    expect(s.get('a')).toEqual({ n: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('gives items back in order across compactions, and puts a batch in front', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(q.length).toBe(2000);
    q.unshift([-2, -1]);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([-2, -1, 3000]);
    expect(q.clear()).toHaveLength(1999);
    expect([q.length, q.shift()]).toEqual([0, undefined]);
  });
});

import { describe, expect, it } from 'vitest';
import { AliciaError } from '../lib/protocol/errors.js';
import { SerialQueue } from './serialQueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialQueue', () => {
  it('runs one job at a time, in order', async () => {
    const q = new SerialQueue(10, 'TTS_TIMEOUT', 'TTS_BUSY');
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`start ${name}`);
      await sleep(20);
      log.push(`end ${name}`);
      return name;
    };
    const r = await Promise.all([q.run(job('a'), 1000), q.run(job('b'), 1000), q.run(job('c'), 1000)]);
    expect(r).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('refuses work beyond its bound with the busy code', async () => {
    const q = new SerialQueue(1, 'TTS_TIMEOUT', 'TTS_BUSY');
    const a = q.run(() => sleep(50), 1000);
    const b = q.run(() => sleep(1), 1000);
    await expect(q.run(() => sleep(1), 1000)).rejects.toMatchObject({ code: 'TTS_BUSY' });
    await Promise.all([a, b]);
  });

  it('drops a job still waiting at its deadline, and gives a running job only the time it has left', async () => {
    const q = new SerialQueue(10, 'TTS_TIMEOUT', 'TTS_BUSY');
    const first = q.run(() => sleep(120), 1000);
    const waiting = q.run(() => sleep(1), 50);
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AliciaError);
    expect((err as AliciaError).code).toBe('TTS_TIMEOUT');
    await first;
    let given = 0;
    await q.run(async (left) => {
      given = left;
    }, 300);
    expect(given).toBeGreaterThan(0);
    expect(given).toBeLessThanOrEqual(300);
  });
});

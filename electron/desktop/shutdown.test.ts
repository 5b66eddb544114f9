import { describe, expect, it } from 'vitest';
import { stopWithin } from './shutdown.js';

describe('quit with a deadline', () => {
  it('reports a stop that finishes', async () => {
    let stopped = false;
    const r = await stopWithin(async () => {
      await new Promise((res) => setTimeout(res, 20));
      stopped = true;
    }, 1000);
    expect(r.outcome).toBe('stopped');
    expect(stopped).toBe(true);
  });

  it('gives up on a stop that hangs', async () => {
    const r = await stopWithin(() => new Promise<void>(() => undefined), 50);
    expect(r.outcome).toBe('timeout');
  });

  it('reports a stop that throws, synchronously or not', async () => {
    expect(await stopWithin(() => Promise.reject(new Error('recorder flush failed')), 1000)).toMatchObject({
      outcome: 'failed',
      error: 'recorder flush failed',
    });
    expect(
      await stopWithin(() => {
        throw new Error('sync');
      }, 1000),
    ).toMatchObject({ outcome: 'failed', error: 'sync' });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatestValueSender, levelAfterKey, rangeOf } from './deviceLevels.js';

describe('levelAfterKey', () => {
  const pct = rangeOf(0, 100, 1);
  const setpoint = rangeOf(5, 35, 0.5);
  it('moves a percent slider one step per arrow, ten per page key, to the ends on Home/End', () => {
    expect(levelAfterKey('ArrowLeft', 100, pct)).toBe(99);
    expect(levelAfterKey('ArrowDown', 100, pct)).toBe(99);
    expect(levelAfterKey('ArrowRight', 40, pct)).toBe(41);
    expect(levelAfterKey('PageDown', 100, pct)).toBe(90);
    expect(levelAfterKey('PageUp', 95, pct)).toBe(100);
    expect(levelAfterKey('PageDown', 4, pct)).toBe(0);
    expect(levelAfterKey('Home', 63, pct)).toBe(0);
    expect(levelAfterKey('End', 63, pct)).toBe(100);
    expect(levelAfterKey('Tab', 63, pct)).toBeNull();
    expect(levelAfterKey('a', 63, pct)).toBeNull();
  });
  it('moves a setpoint on its own grid and range', () => {
    expect(levelAfterKey('ArrowUp', 21, setpoint)).toBe(21.5);
    // from off the 0.5 grid, the first step lands on it
    expect(levelAfterKey('ArrowDown', 21.3, setpoint)).toBe(21);
    expect(levelAfterKey('ArrowUp', 21.3, setpoint)).toBe(21.5);
    expect(levelAfterKey('PageUp', 21, setpoint)).toBe(26);
    expect(levelAfterKey('PageUp', 33, setpoint)).toBe(35);
    expect(levelAfterKey('Home', 21, setpoint)).toBe(5);
    expect(levelAfterKey('End', 21, setpoint)).toBe(35);
  });
});

describe('LatestValueSender', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function harness(quietMs = 300) {
    const sent: [string, number][] = [];
    const idle: string[] = [];
    let land: (() => void)[] = [];
    const sender = new LatestValueSender(
      (key, value) => {
        sent.push([key, value]);
        return new Promise<void>((r) => land.push(r));
      },
      (key) => idle.push(key),
      quietMs,
    );
    const landAll = async () => {
      const l = land;
      land = [];
      l.forEach((r) => r());
      await vi.advanceTimersByTimeAsync(0);
    };
    return { sender, sent, idle, landAll };
  }

  it('sends a burst of changes as one command, once the user pauses', async () => {
    const { sender, sent, idle, landAll } = harness();
    for (const v of [99, 98, 97, 96, 95]) {
      sender.want('lamp', v);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(sent).toEqual([['lamp', 95]]);
    expect(sender.busy('lamp')).toBe(true);
    await landAll();
    expect(idle).toEqual(['lamp']);
    expect(sender.busy('lamp')).toBe(false);
  });

  it('never has two commands in flight for one key; the latest value follows when the first lands', async () => {
    const { sender, sent, idle, landAll } = harness();
    sender.want('lamp', 50, true);
    expect(sent).toEqual([['lamp', 50]]);
    sender.want('lamp', 40);
    sender.want('lamp', 30, true); // released pointer while in flight: still waits for the flight
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([['lamp', 50]]);
    await landAll();
    expect(sent).toEqual([
      ['lamp', 50],
      ['lamp', 30],
    ]);
    expect(idle).toEqual([]);
    await landAll();
    expect(idle).toEqual(['lamp']);
  });

  it('sends nothing more when the value comes back to what was sent; keys are independent', async () => {
    const { sender, sent, idle, landAll } = harness();
    sender.want('lamp', 60, true);
    sender.want('lamp', 61);
    sender.want('lamp', 60);
    sender.want('speaker', 20, true);
    await landAll();
    await vi.advanceTimersByTimeAsync(300);
    expect(sent).toEqual([
      ['lamp', 60],
      ['speaker', 20],
    ]);
    expect(idle.sort()).toEqual(['lamp', 'speaker']);
  });

  it('a failed command lands too: the next change is sent, then the key goes idle', async () => {
    const sent: number[] = [];
    const idle: string[] = [];
    const sender = new LatestValueSender(
      (_k, v) => {
        sent.push(v);
        return v === 10 ? Promise.reject(new Error('refused')) : Promise.resolve();
      },
      (k) => idle.push(k),
      300,
    );
    sender.want('lamp', 10, true);
    sender.want('lamp', 11);
    await vi.advanceTimersByTimeAsync(300);
    expect(sent).toEqual([10, 11]);
    expect(idle).toEqual(['lamp']);
  });
});

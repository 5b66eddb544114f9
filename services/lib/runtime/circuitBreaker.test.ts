import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuitBreaker.js';
import { AliciaError } from '../protocol/errors.js';

const fail = () => Promise.reject(new AliciaError('TIMEOUT', 'slow'));
const ok = () => Promise.resolve('fine');

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then fails fast with CIRCUIT_OPEN', async () => {
    let now = 0;
    const b = new CircuitBreaker('ai', { failureThreshold: 3, resetTimeoutMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) await expect(b.exec(fail)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(b.state).toBe('open');
    let called = false;
    await expect(
      b.exec(() => {
        called = true;
        return ok();
      }),
    ).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(called).toBe(false);
    now = 999;
    expect(b.state).toBe('open');
  });

  it('half-opens after the reset timeout: one trial, success closes', async () => {
    let now = 0;
    const b = new CircuitBreaker('ai', { failureThreshold: 1, resetTimeoutMs: 1000, now: () => now });
    await expect(b.exec(fail)).rejects.toThrow();
    now = 1000;
    expect(b.state).toBe('half_open');
    await expect(b.exec(ok)).resolves.toBe('fine');
    expect(b.state).toBe('closed');
  });

  it('half-open trial failure reopens for another full timeout', async () => {
    let now = 0;
    const b = new CircuitBreaker('ai', { failureThreshold: 2, resetTimeoutMs: 1000, now: () => now });
    await expect(b.exec(fail)).rejects.toThrow();
    await expect(b.exec(fail)).rejects.toThrow();
    now = 1500;
    await expect(b.exec(fail)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(b.state).toBe('open');
    now = 2400;
    expect(b.state).toBe('open');
    now = 2500;
    expect(b.state).toBe('half_open');
  });

  it('only lets one trial through while half-open', async () => {
    let now = 0;
    const b = new CircuitBreaker('ai', { failureThreshold: 1, resetTimeoutMs: 10, now: () => now });
    await expect(b.exec(fail)).rejects.toThrow();
    now = 10;
    let release!: () => void;
    const trial = b.exec(() => new Promise<void>((r) => (release = r)));
    await expect(b.exec(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    release();
    await trial;
    expect(b.state).toBe('closed');
  });

  it('errors that are not failures of the downstream keep it closed', async () => {
    const b = new CircuitBreaker('device', { failureThreshold: 1, isFailure: (e) => (e as AliciaError).code === 'TIMEOUT' });
    await expect(b.exec(() => Promise.reject(new AliciaError('DEVICE_UNKNOWN', 'no such device')))).rejects.toThrow();
    expect(b.state).toBe('closed');
  });
});

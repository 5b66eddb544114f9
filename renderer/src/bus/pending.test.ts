import { describe, expect, it } from 'vitest';
import { PendingRequests } from './pending.js';

describe('PendingRequests', () => {
  it('resolves on the matching reply topic and correlation id only', async () => {
    const p = new PendingRequests();
    const pr = p.add('c1', ['alicia/device/response'], 5000, 'toggle');
    expect(p.settle('alicia/device/response', { correlation_id: 'other', ok: true })).toBe(false);
    expect(p.settle('alicia/ai/response', { correlation_id: 'c1', ok: true })).toBe(false);
    expect(p.settle('alicia/device/response', { correlation_id: 'c1', ok: true, device_id: 'x' })).toBe(true);
    await expect(pr).resolves.toMatchObject({ device_id: 'x' });
    expect(p.size).toBe(0);
  });
  it('rejects with the remote error code', async () => {
    const p = new PendingRequests();
    const pr = p.add('c2', ['alicia/device/response'], 5000, 'toggle');
    p.settle('alicia/device/response', { correlation_id: 'c2', ok: false, error: { code: 'DEVICE_OFFLINE', message: 'lamp is offline' } });
    await expect(pr).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', message: 'lamp is offline' });
  });
  it('times out with TIMEOUT', async () => {
    const p = new PendingRequests();
    await expect(p.add('c3', ['x'], 20, 'stop stt')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(p.size).toBe(0);
  });
});

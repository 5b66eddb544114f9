import { describe, expect, it } from 'vitest';
import { ServiceRegistry } from './serviceRegistry.js';

describe('service registry (fake clock)', () => {
  const reg = (over: Partial<{ service: string; pid: number }> = {}) => ({
    service: 'stt',
    version: '1.2.0',
    capabilities: ['stt.pocketsphinx'],
    heartbeat_ms: 1_000,
    pid: 42,
    ...over,
  });

  it('register -> expire after 3 silent intervals -> back on the next heartbeat -> unregister', () => {
    let t = 0;
    const r = new ServiceRegistry({ expiry_intervals: 3, default_heartbeat_ms: 5_000 }, () => t);
    expect(r.register(reg())).toEqual({ event: 'register', service: 'stt' });
    expect(r.snapshot()).toEqual([
      expect.objectContaining({ service: 'stt', version: '1.2.0', capabilities: ['stt.pocketsphinx'], alive: true, registered_at: 0 }),
    ]);
    t = 2_500;
    expect(r.heartbeat('stt')).toBeNull();
    t = 5_400;
    expect(r.expire()).toEqual([]);
    t = 5_600; // 3.1 s after the last heartbeat
    expect(r.expire()).toEqual([{ event: 'expire', service: 'stt' }]);
    expect(r.expire()).toEqual([]); // once
    expect(r.snapshot()[0]).toMatchObject({ alive: false, last_seen: 2_500 });
    t = 9_000;
    expect(r.heartbeat('stt', 1_000)).toEqual({ event: 'register', service: 'stt' });
    expect(r.snapshot()[0]).toMatchObject({ alive: true, last_seen: 9_000 });
    expect(r.unregister('stt')).toEqual({ event: 'unregister', service: 'stt' });
    expect(r.unregister('stt')).toBeNull();
    expect(r.snapshot()).toEqual([]);
  });

  it('a heartbeat from an unregistered service adds it by name; its registration fills in the rest', () => {
    let t = 0;
    const r = new ServiceRegistry({ expiry_intervals: 3, default_heartbeat_ms: 5_000 }, () => t);
    expect(r.heartbeat('ai', 2_000)).toEqual({ event: 'register', service: 'ai' });
    expect(r.snapshot()[0]).toMatchObject({ service: 'ai', version: 'unknown', heartbeat_ms: 2_000 });
    t = 100;
    r.register(reg({ service: 'ai', pid: 7 }));
    expect(r.snapshot()[0]).toMatchObject({ service: 'ai', version: '1.2.0', pid: 7 });
  });
});

import { describe, expect, it } from 'vitest';
import { useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.9, SUBACK (statements.ts). */
const h = useConformance({ maxSubscriptionsPerClient: 8 });

describe('SUBACK', () => {
  it('[MQTT-3.9.3-1] return codes come in the order of the Topic Filters', async () => {
    const allowed = 'alicia/voice/stt/request';
    const denied = 'alicia/ai/request';
    for (const order of [
      [allowed, denied],
      [denied, allowed],
      [denied, allowed, denied],
    ]) {
      const stt = await h.client({ ...h.tb.credentials.stt });
      const granted = await h.subscribe(
        stt,
        order.map((topic) => ({ topic, qos: 1 })),
      );
      expect(granted, order.join(', ')).toEqual(order.map((t) => (t === allowed ? 1 : 0x80)));
      stt.destroy();
    }
  });

  it('[MQTT-3.9.3-2] the only return codes are 0x00, 0x01, 0x02 and 0x80, whatever was asked or refused', async () => {
    const deep = Array.from({ length: 20 }, (_, i) => `l${i}`).join('/');
    const stt = await h.client({ ...h.tb.credentials.stt });
    const granted = await h.subscribe(stt, [
      { topic: 'alicia/voice/stt/request', qos: 1 },
      { topic: 'alicia/broadcast/+', qos: 2 },
      { topic: 'alicia/device/status/+', qos: 0 },
      { topic: 'alicia/ai/request', qos: 2 }, // the ACL
      { topic: deep, qos: 1 }, // too deep
      { topic: '$share/g/alicia/voice/stt/request', qos: 2 }, // shared: granted QoS 1
      { topic: '$share//x', qos: 1 }, // no share name
    ]);
    expect(granted).toEqual([1, 2, 0, 0x80, 0x80, 1, 0x80]);
    // over the subscription limit (8)
    const op = await h.client();
    const many = await h.subscribe(
      op,
      Array.from({ length: 10 }, (_, i) => ({ topic: `lim/${i}`, qos: i % 3 })),
    );
    expect(many).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 0x80, 0x80]);
    for (const code of [...granted, ...many]) expect([0x00, 0x01, 0x02, 0x80]).toContain(code);
  });
});

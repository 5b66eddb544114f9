import { describe, expect, it } from 'vitest';
import { publish, pubrel } from '../testing/rawMqtt.js';
import { useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.6, PUBREL (statements.ts); PUBACK, PUBREC and PUBCOMP have no statements of their own. */
const h = useConformance();

describe('PUBREL', () => {
  it('[MQTT-3.6.1-1] fixed header bits other than 0010 are malformed: the connection closes (0010 gets the PUBCOMP)', async () => {
    for (const flags of [0x00, 0x01, 0x03, 0x0a]) {
      const c = await h.client();
      c.send(publish({ topic: 'rel/x', payload: 'x', qos: 2, messageId: 4 }));
      expect(await c.next()).toEqual({ cmd: 'pubrec', flags: 0, messageId: 4 });
      c.send(pubrel(4, flags));
      expect(await c.untilClosed(), `flags ${flags}`).toEqual([]);
    }
    const ok = await h.client();
    ok.send(publish({ topic: 'rel/x', payload: 'x', qos: 2, messageId: 4 }));
    await ok.nextOf('pubrec');
    ok.send(pubrel(4));
    expect(await ok.next()).toEqual({ cmd: 'pubcomp', flags: 0, messageId: 4 });
  });
});

import { describe, expect, it } from 'vitest';
import { disconnect } from '../testing/rawMqtt.js';
import { text, useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.14, DISCONNECT (statements.ts). */
const h = useConformance();

async function observer(filter: string) {
  const o = await h.client();
  await h.subscribe(o, [{ topic: filter, qos: 1 }]);
  return o;
}

describe('DISCONNECT', () => {
  it('[MQTT-3.14.1-1] reserved bits set: the client is disconnected, and as that is no DISCONNECT its will goes out', async () => {
    const o = await observer('d1/#');
    for (const flags of [0x01, 0x02, 0x08]) {
      const c = await h.client({ will: { topic: `d1/${flags}`, payload: 'not a DISCONNECT', qos: 1 } });
      c.send(disconnect(flags));
      await h.closedSilently(c);
      const will = await o.nextOf('publish');
      expect([will.topic, text(will)], `flags ${flags}`).toEqual([`d1/${flags}`, 'not a DISCONNECT']);
    }
  });

  it('[MQTT-3.14.4-3] a DISCONNECT discards the will: it is not published', async () => {
    const o = await observer('d3/#');
    const c = await h.client({ will: { topic: 'd3/will', payload: 'never', qos: 1 } });
    c.send(disconnect());
    await h.closedSilently(c);
    await h.sentinel('d3/end');
    expect((await h.until(o, 'd3/end')).map((p) => p.topic)).toEqual(['d3/end']);
  });
});

import { describe, expect, it } from 'vitest';
import { packet, puback, subscribe } from '../testing/rawMqtt.js';
import { text, useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.8, SUBSCRIBE (statements.ts). */
const h = useConformance();

describe('SUBSCRIBE', () => {
  it('[MQTT-3.8.1-1] fixed header bits other than 0010 are malformed: the connection closes', async () => {
    for (const flags of [0x00, 0x01, 0x03, 0x0a]) {
      const c = await h.client();
      c.send(subscribe(1, [{ topic: 's/x', qos: 0 }], flags));
      expect(await c.untilClosed(), `flags ${flags}`).toEqual([]);
    }
  });

  it('[MQTT-3.8.3-2] wildcards are supported: + matches one level, # any number, as section 4.7 says', async () => {
    const c = await h.client();
    expect(
      await h.subscribe(c, [
        { topic: 'wc/+/x', qos: 1 },
        { topic: 'wc2/#', qos: 1 },
      ]),
    ).toEqual([1, 1]);
    for (const t of ['wc/a/x', 'wc/a/b/x', 'wc2', 'wc2/a/b/c']) await h.publish(t, t);
    await h.sentinel('wc2/end');
    expect((await h.until(c, 'wc2/end')).map((p) => p.topic)).toEqual(['wc/a/x', 'wc2', 'wc2/a/b/c', 'wc2/end']);
  });

  it('[MQTT-3.8.3-3] a SUBSCRIBE without a Topic Filter closes the connection', async () => {
    const c = await h.client();
    c.send(packet(0x82, Buffer.from([0, 1])));
    await h.closedSilently(c);
  });

  it('[MQTT-3.8.3-4] reserved bits set, or QoS 3, in the requested QoS byte: malformed, the connection closes', async () => {
    for (const options of [0x03, 0x04, 0x40, 0x80, 0xfc]) {
      const c = await h.client();
      c.send(subscribe(1, [{ topic: 's/x', options }]));
      expect(await c.untilClosed(), `options ${options}`).toEqual([]);
    }
  });

  it('[MQTT-3.8.4-1] [MQTT-3.8.4-2] a SUBSCRIBE is answered by a SUBACK carrying its packet identifier', async () => {
    const c = await h.client();
    for (const id of [1, 300, 65535]) {
      c.send(subscribe(id, [{ topic: `ids/${id}`, qos: 1 }]));
      expect(await c.next()).toEqual({ cmd: 'suback', flags: 0, messageId: id, granted: [1] });
    }
  });

  it('[MQTT-3.8.4-3] the same filter again replaces the subscription: one copy per message at the new QoS, retained messages sent again', async () => {
    await h.tb.broker.publish('rep/x', 'retained', { qos: 1, retain: true });
    const c = await h.client();
    expect(await h.subscribe(c, [{ topic: 'rep/x', qos: 0 }])).toEqual([0]);
    expect([text(await c.nextOf('publish'))]).toEqual(['retained']);
    expect(await h.subscribe(c, [{ topic: 'rep/x', qos: 1 }], 2)).toEqual([1]);
    const again = await c.nextOf('publish');
    expect([text(again), again.retain, again.qos]).toEqual(['retained', true, 1]);
    c.send(puback(again.messageId!));
    await h.publish('rep/x', 'live');
    await h.sentinel('rep/x');
    const got = await h.until(c, 'rep/x');
    expect(got.map((p) => [text(p), p.qos])).toEqual([
      ['live', 1],
      ['sentinel', 1],
    ]);
    await h.tb.broker.publish('rep/x', '', { qos: 1, retain: true });
  });

  it('[MQTT-3.8.4-4] [MQTT-3.8.4-5] several filters in one SUBSCRIBE: each handled as if alone, one SUBACK with a code per filter', async () => {
    const stt = await h.client({ ...h.tb.credentials.stt });
    const granted = await h.subscribe(stt, [
      { topic: 'alicia/voice/stt/request', qos: 1 },
      { topic: 'alicia/ai/request', qos: 1 }, // not stt's to read
      { topic: 'alicia/device/status/+', qos: 0 },
      { topic: 'alicia/broadcast/+', qos: 2 },
    ]);
    expect(granted).toEqual([1, 0x80, 0, 2]);
    // the same filter twice: both answered, the second subscription (QoS 0) replacing the first
    expect(
      await h.subscribe(
        stt,
        [
          { topic: 'alicia/broadcast/dup', qos: 1 },
          { topic: 'alicia/broadcast/dup', qos: 0 },
        ],
        2,
      ),
    ).toEqual([1, 0]);
    // only the SUBACK came: no second answer
    await h.sentinel('alicia/broadcast/end');
    const got = await h.until(stt, 'alicia/broadcast/end');
    expect(got.map((p) => p.topic)).toEqual(['alicia/broadcast/end']);
    expect(stt.pending()).toEqual([]);
  });

  it('[MQTT-3.8.4-6] a message goes at the lower of its QoS and the granted QoS, through a wildcard too', async () => {
    const cases: [number, number][] = [
      [0, 1],
      [1, 0],
      [1, 2],
      [2, 1],
      [2, 0],
    ];
    for (const [granted, published] of cases) {
      const c = await h.client();
      const root = `min${granted}${published}`;
      await h.subscribe(c, [
        { topic: `${root}/exact`, qos: granted },
        { topic: `${root}/w/+`, qos: granted },
      ]);
      await h.publish(`${root}/exact`, 'e', { qos: published as 0 | 1 | 2 });
      await h.publish(`${root}/w/x`, 'w', { qos: published as 0 | 1 | 2 });
      const want = Math.min(granted, published);
      const got = [await c.nextOf('publish'), await c.nextOf('publish')];
      expect(
        got.map((p) => p.qos),
        `granted ${granted}, published ${published}`,
      ).toEqual([want, want]);
      c.destroy();
    }
  });
});

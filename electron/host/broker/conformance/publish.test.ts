import { describe, expect, it } from 'vitest';
import { disconnect, packet, pingreq, puback, publish, pubrel, str } from '../testing/rawMqtt.js';
import { text, useConformance, type Publish } from './harness.js';

/** MQTT 3.1.1 section 3.3, PUBLISH (statements.ts). */
const h = useConformance();

/** A retained message set (or cleared, with '') by the broker itself, once routed. */
const retain = (topic: string, payload: string) => h.tb.broker.publish(topic, payload, { qos: 1, retain: true });

const summary = (p: Publish) => ({ topic: p.topic, payload: text(p), qos: p.qos, retain: p.retain, dup: p.dup });

describe('PUBLISH', () => {
  it('[MQTT-3.3.1-1] a QoS 1 message sent again after a reconnect has DUP 1; one sent for the first time from the session has DUP 0', async () => {
    const id = h.id('dup');
    const c = await h.client({ clientId: id, clean: false });
    await h.subscribe(c, [{ topic: 'dup/x', qos: 1 }]);
    await h.publish('dup/x', 'sent once', { qos: 1 });
    const first = await c.nextOf('publish');
    expect([text(first), first.dup]).toEqual(['sent once', false]);
    // gone without acknowledging it; meanwhile another message waits in the session
    c.socket.resetAndDestroy();
    await c.closed;
    // (its publisher had sent it twice, the second time with DUP 1, which is not passed on [MQTT-3.3.1-3])
    const p = await h.client();
    p.send(publish({ topic: 'dup/x', payload: 'queued', qos: 1, dup: true, messageId: 3 }));
    await p.nextOf('puback');
    const back = await h.client({ clientId: id, clean: false });
    const again = [await back.nextOf('publish'), await back.nextOf('publish')];
    expect(again.map((p) => [text(p), p.dup])).toEqual([
      ['sent once', true],
      ['queued', false],
    ]);
    expect(again[0]!.messageId).toBe(first.messageId);
    for (const p of again) back.send(puback(p.messageId!));
  });

  it('[MQTT-3.3.1-2] [MQTT-3.3.1-3] DUP is not passed on: a DUP 1 PUBLISH reaches subscribers with DUP 0, and QoS 0 deliveries never have it', async () => {
    const s1 = await h.client();
    const s0 = await h.client();
    await h.subscribe(s1, [{ topic: 'dup3/x', qos: 1 }]);
    await h.subscribe(s0, [{ topic: 'dup3/x', qos: 0 }]);
    const p = await h.client();
    p.send(publish({ topic: 'dup3/x', payload: 'resent by its client', qos: 1, dup: true, messageId: 9 }));
    expect(await p.nextOf('puback')).toMatchObject({ messageId: 9 });
    expect(summary(await s1.nextOf('publish'))).toEqual({
      topic: 'dup3/x',
      payload: 'resent by its client',
      qos: 1,
      retain: false,
      dup: false,
    });
    expect(summary(await s0.nextOf('publish'))).toEqual({
      topic: 'dup3/x',
      payload: 'resent by its client',
      qos: 0,
      retain: false,
      dup: false,
    });
  });

  it('[MQTT-3.3.1-4] a PUBLISH with both QoS bits set closes the connection', async () => {
    const c = await h.client();
    c.send(publish({ topic: 'q3/x', payload: 'x', qos: 3, messageId: 1 }));
    await h.closedSilently(c);
  });

  it('[MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8] a retained message is stored with its QoS; a new subscription gets the last one of each matching topic, RETAIN 1', async () => {
    const c = await h.client();
    c.send(publish({ topic: 'ret/a', payload: 'a1', qos: 1, retain: true, messageId: 1 }));
    c.send(publish({ topic: 'ret/a', payload: 'a2', qos: 1, retain: true, messageId: 2 }));
    c.send(publish({ topic: 'ret/b', payload: 'b1', qos: 0, retain: true }));
    c.send(pingreq());
    expect([await c.next(), await c.next(), await c.next()].map((x) => x.cmd).sort()).toEqual(['pingresp', 'puback', 'puback']);
    const s = await h.client();
    await h.subscribe(s, [{ topic: 'ret/+', qos: 1 }]);
    const got = [await s.nextOf('publish'), await s.nextOf('publish')].map(summary).sort((x, y) => x.topic.localeCompare(y.topic));
    expect(got).toEqual([
      { topic: 'ret/a', payload: 'a2', qos: 1, retain: true, dup: false },
      { topic: 'ret/b', payload: 'b1', qos: 0, retain: true, dup: false },
    ]);
    await retain('ret/a', '');
    await retain('ret/b', '');
  });

  it('[MQTT-3.3.1-7] a retained QoS 0 message replaces the message retained before it', async () => {
    await h.publish('ret7/x', 'old, QoS 1', { qos: 1, retain: true });
    await h.publish('ret7/x', 'new, QoS 0', { qos: 0, retain: true });
    await retain('ret7/y', 'sentinel');
    const s = await h.client();
    await h.subscribe(s, [{ topic: 'ret7/+', qos: 1 }]);
    const got = [await s.nextOf('publish'), await s.nextOf('publish')].map(text).sort();
    expect(got).toEqual(['new, QoS 0', 'sentinel']);
    await retain('ret7/x', '');
    await retain('ret7/y', '');
  });

  it('[MQTT-3.3.1-9] a message to an established subscription has RETAIN 0, however it was published', async () => {
    const s = await h.client();
    await h.subscribe(s, [{ topic: 'ret9/x', qos: 1 }]);
    await h.publish('ret9/x', 'retained', { retain: true });
    expect(summary(await s.nextOf('publish'))).toMatchObject({ payload: 'retained', retain: false });
    await retain('ret9/x', '');
  });

  it('[MQTT-3.3.1-10] [MQTT-3.3.1-11] a zero-byte retained message is delivered as usual, removes the retained message and is not stored', async () => {
    await retain('ret10/x', 'to be removed');
    const s = await h.client();
    await h.subscribe(s, [{ topic: 'ret10/x', qos: 1 }]);
    expect(text(await s.nextOf('publish'))).toBe('to be removed');
    await h.publish('ret10/x', '', { retain: true });
    const p = await s.nextOf('publish');
    expect([p.payload.length, p.retain]).toEqual([0, false]);
    // nothing is retained for the topic any more: a new subscriber gets only the sentinel
    await retain('ret10/y', 'sentinel');
    const late = await h.client();
    await h.subscribe(late, [{ topic: 'ret10/+', qos: 1 }]);
    expect((await h.until(late, 'ret10/y')).map((x) => x.topic)).toEqual(['ret10/y']);
    await retain('ret10/y', '');
  });

  it('[MQTT-3.3.1-12] RETAIN 0 stores nothing and leaves the retained message as it was', async () => {
    await retain('ret12/x', 'retained');
    await h.publish('ret12/x', 'not retained');
    const s = await h.client();
    await h.subscribe(s, [{ topic: 'ret12/x', qos: 1 }]);
    const p = await s.nextOf('publish');
    expect([text(p), p.retain]).toEqual(['retained', true]);
    await h.sentinel('ret12/x');
    expect((await h.until(s, 'ret12/x')).map(text)).toEqual(['sentinel']);
    await retain('ret12/x', '');
  });

  it('[MQTT-3.3.2-1] a PUBLISH without a Topic Name (empty, or too short to hold one) closes the connection', async () => {
    for (const bytes of [publish({ topic: '', payload: 'x' }), packet(0x30, Buffer.from([0x00])), packet(0x32, str('t'))]) {
      const c = await h.client();
      c.send(bytes);
      await h.closedSilently(c);
    }
  });

  it('[MQTT-3.3.2-2] a Topic Name with a wildcard closes the connection', async () => {
    for (const topic of ['w/+', 'w/#', '+', 'w/a+b']) {
      const c = await h.client();
      c.send(publish({ topic, payload: 'x', qos: 1, messageId: 1 }));
      expect(await c.untilClosed(), topic).toEqual([]);
    }
  });

  it("[MQTT-3.3.2-3] a subscriber gets the Topic Name as published, matching its subscription's filter", async () => {
    const s = await h.client();
    await h.subscribe(s, [
      { topic: 'tn/+/c', qos: 1 },
      { topic: 'tn2/#', qos: 1 },
    ]);
    await h.publish('tn/b/c', 'one');
    await h.publish('tn2/x/y/z', 'two');
    await h.sentinel('tn2/end');
    expect((await h.until(s, 'tn2/end')).map((p) => p.topic)).toEqual(['tn/b/c', 'tn2/x/y/z', 'tn2/end']);
  });

  it('[MQTT-3.3.4-1] QoS 0 gets no answer, QoS 1 a PUBACK, QoS 2 a PUBREC and, for the PUBREL, a PUBCOMP, each with the packet identifier', async () => {
    const c = await h.client();
    c.send(publish({ topic: 'ack/x', payload: '0', qos: 0 }), pingreq());
    expect(await c.next()).toEqual({ cmd: 'pingresp', flags: 0 });
    c.send(publish({ topic: 'ack/x', payload: '1', qos: 1, messageId: 11 }));
    expect(await c.next()).toEqual({ cmd: 'puback', flags: 0, messageId: 11 });
    c.send(publish({ topic: 'ack/x', payload: '2', qos: 2, messageId: 22 }));
    expect(await c.next()).toEqual({ cmd: 'pubrec', flags: 0, messageId: 22 });
    c.send(pubrel(22));
    expect(await c.next()).toEqual({ cmd: 'pubcomp', flags: 0, messageId: 22 });
  });

  it('[MQTT-3.3.5-1] overlapping subscriptions: a message arrives at the highest QoS among those that match it', async () => {
    // both orders: the QoS 1 filter subscribed before and after the QoS 0 ones
    const layouts = [
      [
        { topic: 'ov1/+', qos: 0 },
        { topic: 'ov1/x', qos: 1 },
        { topic: 'ov1/#', qos: 0 },
      ],
      [
        { topic: 'ov2/x', qos: 1 },
        { topic: 'ov2/+', qos: 0 },
      ],
      [
        { topic: 'ov3/#', qos: 2 },
        { topic: 'ov3/+', qos: 0 },
      ],
    ];
    for (const subs of layouts) {
      const root = subs[0]!.topic.split('/')[0]!;
      const s = await h.client();
      await h.subscribe(s, subs);
      await h.publish(`${root}/x`, 'overlap', { qos: 2 });
      await h.sentinel(`${root}/x`);
      const got = await h.until(s, `${root}/x`);
      const expected = Math.max(...subs.map((x) => x.qos));
      expect(got[0]!.qos, root).toBe(expected);
      expect(
        got.filter((p) => text(p) === 'overlap').every((p) => p.qos === expected),
        root,
      ).toBe(true);
    }
  });

  it('[MQTT-3.3.5-2] a PUBLISH the ACL refuses is acknowledged by the normal QoS rules and goes nowhere', async () => {
    const o = await h.client();
    await h.subscribe(o, [{ topic: 'alicia/ai/#', qos: 1 }]);
    const stt = await h.client({ ...h.tb.credentials.stt });
    stt.send(publish({ topic: 'alicia/ai/response', payload: 'forged 1', qos: 1, messageId: 5 }));
    expect(await stt.next()).toEqual({ cmd: 'puback', flags: 0, messageId: 5 });
    stt.send(publish({ topic: 'alicia/ai/response', payload: 'forged 2', qos: 2, messageId: 6 }));
    expect(await stt.next()).toEqual({ cmd: 'pubrec', flags: 0, messageId: 6 });
    stt.send(pubrel(6));
    expect(await stt.next()).toEqual({ cmd: 'pubcomp', flags: 0, messageId: 6 });
    await h.sentinel('alicia/ai/sentinel');
    expect((await h.until(o, 'alicia/ai/sentinel')).map(text)).toEqual(['sentinel']);
    stt.send(disconnect());
  });
});

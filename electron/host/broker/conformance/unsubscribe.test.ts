import { describe, expect, it } from 'vitest';
import { disconnect, packet, puback, pubcomp, pubrec, unsubscribe } from '../testing/rawMqtt.js';
import { text, useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.10, UNSUBSCRIBE (statements.ts); UNSUBACK has no statements of its own. */
const h = useConformance();

describe('UNSUBSCRIBE', () => {
  it('[MQTT-3.10.1-1] fixed header bits other than 0010 are malformed: the connection closes', async () => {
    for (const flags of [0x00, 0x01, 0x03, 0x0a]) {
      const c = await h.client();
      c.send(unsubscribe(1, ['u/x'], flags));
      expect(await c.untilClosed(), `flags ${flags}`).toEqual([]);
    }
  });

  it('[MQTT-3.10.3-2] an UNSUBSCRIBE without a Topic Filter is a protocol violation: the connection closes', async () => {
    const c = await h.client();
    await h.subscribe(c, [{ topic: 'u2/x', qos: 1 }]);
    c.send(packet(0xa2, Buffer.from([0, 7])));
    await h.closedSilently(c);
  });

  it('[MQTT-3.10.4-1] [MQTT-3.10.4-2] only a filter equal character by character deletes a subscription, and nothing new comes through it after', async () => {
    const c = await h.client();
    await h.subscribe(c, [
      { topic: 'u4/+', qos: 1 },
      { topic: 'u4b/x', qos: 1 },
    ]);
    // 'u4/x' matches the topics of 'u4/+' but is not that filter; 'U4B/x' differs in case
    c.send(unsubscribe(2, ['u4/x', 'U4B/x', 'u4b/x/']));
    expect(await c.next()).toEqual({ cmd: 'unsuback', flags: 0, messageId: 2 });
    await h.publish('u4/x', 'still subscribed');
    await h.publish('u4b/x', 'still subscribed too');
    await h.sentinel('u4/end');
    expect((await h.until(c, 'u4/end')).map(text)).toEqual(['still subscribed', 'still subscribed too', 'sentinel']);
    c.send(unsubscribe(3, ['u4/+']));
    expect(await c.next()).toEqual({ cmd: 'unsuback', flags: 0, messageId: 3 });
    await h.publish('u4/x', 'after the UNSUBACK');
    await h.sentinel('u4b/x');
    expect((await h.until(c, 'u4b/x')).map(text)).toEqual(['sentinel']);
  });

  it('[MQTT-3.10.4-3] QoS 1 and QoS 2 deliveries begun before the UNSUBSCRIBE are completed', async () => {
    // QoS 2: the PUBREC after the UNSUBSCRIBE still gets its PUBREL
    const c = await h.client();
    await h.subscribe(c, [{ topic: 'u3/two', qos: 2 }]);
    await h.publish('u3/two', 'exactly once');
    const two = await c.nextOf('publish');
    c.send(unsubscribe(2, ['u3/two']));
    expect(await c.next()).toEqual({ cmd: 'unsuback', flags: 0, messageId: 2 });
    c.send(pubrec(two.messageId!));
    expect(await c.next()).toEqual({ cmd: 'pubrel', flags: 2, messageId: two.messageId });
    c.send(pubcomp(two.messageId!));
    // QoS 1 in a persistent session: unacknowledged at the UNSUBSCRIBE, it is sent again when the client is back
    const id = h.id('u3');
    const p = await h.client({ clientId: id, clean: false });
    await h.subscribe(p, [{ topic: 'u3/one', qos: 1 }]);
    await h.publish('u3/one', 'at least once', { qos: 1 });
    const one = await p.nextOf('publish');
    p.send(unsubscribe(2, ['u3/one']));
    await p.nextOf('unsuback');
    p.send(disconnect());
    await p.closed;
    const back = await h.client({ clientId: id, clean: false });
    const again = await back.nextOf('publish');
    expect([text(again), again.messageId, again.dup]).toEqual(['at least once', one.messageId, true]);
    back.send(puback(again.messageId!));
  });

  it('[MQTT-3.10.4-4] [MQTT-3.10.4-5] an UNSUBACK with the packet identifier, also when nothing was subscribed', async () => {
    const c = await h.client();
    for (const id of [1, 513, 65535]) {
      c.send(unsubscribe(id, [`never/${id}`]));
      expect(await c.next()).toEqual({ cmd: 'unsuback', flags: 0, messageId: id });
    }
  });

  it('[MQTT-3.10.4-6] several filters in one UNSUBSCRIBE: each removed, one UNSUBACK', async () => {
    const c = await h.client();
    await h.subscribe(c, [
      { topic: 'u6/a', qos: 1 },
      { topic: 'u6/b', qos: 1 },
      { topic: 'u6/c', qos: 1 },
    ]);
    c.send(unsubscribe(4, ['u6/a', 'u6/b', 'u6/none']));
    expect(await c.next()).toEqual({ cmd: 'unsuback', flags: 0, messageId: 4 });
    for (const t of ['u6/a', 'u6/b', 'u6/c']) await h.publish(t, t);
    await h.sentinel('u6/c');
    expect((await h.until(c, 'u6/c')).map(text)).toEqual(['u6/c', 'sentinel']);
    expect(c.pending()).toEqual([]);
  });
});

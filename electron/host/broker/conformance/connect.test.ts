import { describe, expect, it } from 'vitest';
import { connect, disconnect, packet, pingreq, publish, str, subscribe } from '../testing/rawMqtt.js';
import { text, useConformance } from './harness.js';

/**
 * MQTT 3.1.1 section 3.1, CONNECT: what the embedded broker must do with it, statement by statement
 * (statements.ts lists them; the ids are in the test names).
 */
const h = useConformance();

/** A CONNECT with these flags (the connect flags byte as given) and these payload fields after the client id. */
function rawConnect(clientId: string, flags: number, ...fields: Buffer[]): Buffer {
  return packet(0x10, str('MQTT'), Buffer.from([4, flags, 0, 30]), str(clientId), ...fields);
}

describe('CONNECT', () => {
  it('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection unanswered', async () => {
    for (const first of [publish({ topic: 'c/x', payload: 'x' }), subscribe(1, [{ topic: 'c/#' }]), pingreq()]) {
      const c = await h.socket();
      c.send(first);
      await h.closedSilently(c);
    }
  });

  it('[MQTT-3.1.0-2] a second CONNECT is a protocol violation: the client is disconnected', async () => {
    const c = await h.client();
    c.send(connect({ clientId: h.id(), ...h.operator }));
    await h.closedSilently(c);
  });

  it('[MQTT-3.1.2-1] a wrong protocol name: the connection is closed, nothing processed', async () => {
    const c = await h.socket();
    c.send(connect({ clientId: h.id(), ...h.operator, protocolName: 'XQTT' }));
    await h.closedSilently(c);
  });

  it('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01, then the connection closes', async () => {
    // 5 is MQTT 5 (with its properties), which Aedes does not speak; 2, 6 and 7 no MQTT at all
    for (const level of [5, 2, 6, 7]) {
      const c = await h.socket();
      c.send(connect({ clientId: h.id(), ...h.operator, protocolLevel: level, ...(level === 5 ? { properties: Buffer.from([0]) } : {}) }));
      expect(await c.untilClosed(), `level ${level}`).toEqual([{ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 1 }]);
    }
  });

  it('[MQTT-3.1.2-3] [MQTT-3.1.4-1] the reserved connect flag set: closed without a CONNACK', async () => {
    const c = await h.socket();
    c.send(connect({ clientId: h.id(), ...h.operator, flags: 0xc2 | 0x01 }));
    await h.closedSilently(c);
  });

  it('[MQTT-3.1.2-4] [MQTT-3.1.4-3] CleanSession 0 resumes the session of the client id, kept while it was disconnected', async () => {
    const id = h.id('keep');
    const first = await h.client({ clientId: id, clean: false });
    expect(await h.subscribe(first, [{ topic: 'c4/x', qos: 1 }])).toEqual([1]);
    first.send(disconnect());
    await first.closed;
    // back, without subscribing: the subscription is part of the resumed session
    const { client: back, connack } = await h.connected({ clientId: id, clean: false });
    expect(connack.sessionPresent).toBe(true);
    await h.publish('c4/x', 'resumed');
    await h.sentinel('c4/x');
    expect((await h.until(back, 'c4/x')).map(text)).toEqual(['resumed', 'sentinel']);
  });

  it('[MQTT-3.1.3-2] the client id identifies the session: each id gets its own', async () => {
    const [a, b] = [h.id('ida'), h.id('idb')];
    for (const [id, topic] of [
      [a, 'c32/a'],
      [b, 'c32/b'],
    ] as const) {
      const c = await h.client({ clientId: id, clean: false });
      await h.subscribe(c, [{ topic, qos: 1 }]);
      c.send(disconnect());
      await c.closed;
    }
    await h.publish('c32/a', 'for a');
    await h.publish('c32/b', 'for b');
    for (const [id, mine] of [
      [a, 'for a'],
      [b, 'for b'],
    ] as const) {
      const back = await h.client({ clientId: id, clean: false });
      const topic = id === a ? 'c32/a' : 'c32/b';
      await h.sentinel(topic);
      expect((await h.until(back, topic)).map(text), id).toEqual([mine, 'sentinel']);
    }
  });

  it('[MQTT-3.1.2-5] a disconnected CleanSession 0 session stores the QoS 1 and QoS 2 messages that match it', async () => {
    const id = h.id('store');
    const c = await h.client({ clientId: id, clean: false });
    await h.subscribe(c, [{ topic: 'c5/#', qos: 2 }]);
    c.send(disconnect());
    await c.closed;
    await h.publish('c5/q1', 'one', { qos: 1 });
    await h.publish('c5/q2', 'two', { qos: 2 });
    const back = await h.client({ clientId: id, clean: false });
    await h.sentinel('c5/end');
    const got = await h.until(back, 'c5/end');
    expect(got.map((p) => [p.topic, p.qos])).toEqual([
      ['c5/q1', 1],
      ['c5/q2', 2],
      ['c5/end', 1],
    ]);
  });

  it('[MQTT-3.1.2-6] [MQTT-3.1.4-3] CleanSession 1 discards the stored session, and its own state is not kept after it', async () => {
    const id = h.id('clean');
    const kept = await h.client({ clientId: id, clean: false });
    await h.subscribe(kept, [{ topic: 'c6/old', qos: 1 }]);
    kept.send(disconnect());
    await kept.closed;
    const { client: fresh, connack } = await h.connected({ clientId: id, clean: true });
    expect(connack.sessionPresent).toBe(false);
    await h.subscribe(fresh, [{ topic: 'c6/new', qos: 1 }]);
    await h.publish('c6/old', 'old subscription');
    await h.sentinel('c6/new');
    expect((await h.until(fresh, 'c6/new')).map((p) => p.topic)).toEqual(['c6/new']);
    fresh.send(disconnect());
    await fresh.closed;
    // the clean session's subscription did not outlive its connection
    const { connack: after } = await h.connected({ clientId: id, clean: false });
    expect(after.sessionPresent).toBe(false);
  });

  it('[MQTT-3.1.2-7] retained messages are no session state: they outlive the session that published them', async () => {
    const c = await h.client({ clean: true });
    c.send(publish({ topic: 'c7/r', payload: 'kept', qos: 1, retain: true, messageId: 3 }));
    await c.nextOf('puback');
    c.send(disconnect());
    await c.closed;
    const late = await h.client();
    await h.subscribe(late, [{ topic: 'c7/r', qos: 1 }]);
    const p = await late.nextOf('publish');
    expect([text(p), p.retain]).toEqual(['kept', true]);
    await h.tb.broker.publish('c7/r', '', { qos: 1, retain: true });
  });

  describe('the will', () => {
    const observe = async (filter: string) => {
      const o = await h.client();
      await h.subscribe(o, [{ topic: filter, qos: 1 }]);
      return o;
    };

    it('[MQTT-3.1.2-8] [MQTT-3.1.2-16] stored at CONNECT and published, not retained, when the connection closes without DISCONNECT', async () => {
      const o = await observe('will8/#');
      const w = await h.client({ will: { topic: 'will8/a', payload: 'gone', qos: 1, retain: false } });
      w.socket.resetAndDestroy();
      const p = await o.nextOf('publish');
      expect([p.topic, text(p), p.qos, p.retain]).toEqual(['will8/a', 'gone', 1, false]);
      // not retained: a new subscriber gets only the (retained) sentinel
      await h.tb.broker.publish('will8/s', 'sentinel', { qos: 1, retain: true });
      const late = await h.client();
      await h.subscribe(late, [{ topic: 'will8/#', qos: 1 }]);
      expect((await h.until(late, 'will8/s')).map((x) => x.topic)).toEqual(['will8/s']);
      await h.tb.broker.publish('will8/s', '', { qos: 1, retain: true });
    });

    it('[MQTT-3.1.2-17] Will Retain 1: the will is published as a retained message', async () => {
      const w = await h.client({ will: { topic: 'will17/a', payload: 'kept', qos: 1, retain: true } });
      const o = await observe('will17/#');
      w.socket.resetAndDestroy();
      await o.nextOf('publish');
      const late = await h.client();
      await h.subscribe(late, [{ topic: 'will17/a', qos: 1 }]);
      const p = await late.nextOf('publish');
      expect([text(p), p.retain]).toEqual(['kept', true]);
      await h.tb.broker.publish('will17/a', '', { qos: 1, retain: true });
    });

    it('[MQTT-3.1.2-10] removed once published, and on DISCONNECT', async () => {
      const o = await observe('will10/#');
      const id = h.id('w10');
      const w = await h.client({ clientId: id, will: { topic: 'will10/a', payload: 'once', qos: 1 } });
      w.socket.resetAndDestroy();
      expect(text(await o.nextOf('publish'))).toBe('once');
      // the same client back without a will, gone again: nothing is published a second time
      const again = await h.client({ clientId: id });
      again.socket.resetAndDestroy();
      await again.closed;
      // and a will followed by DISCONNECT is dropped
      const polite = await h.client({ will: { topic: 'will10/b', payload: 'never', qos: 1 } });
      polite.send(disconnect());
      await polite.closed;
      await h.sentinel('will10/end');
      expect((await h.until(o, 'will10/end')).map(text)).toEqual(['sentinel']);
    });

    it('[MQTT-3.1.2-12] Will Flag 0: nothing is published when the connection ends', async () => {
      const o = await observe('#');
      const w = await h.client({ clientId: h.id('nowill') });
      w.socket.resetAndDestroy();
      await w.closed;
      await h.sentinel('will12/end');
      expect((await h.until(o, 'will12/end')).map((p) => p.topic)).toEqual(['will12/end']);
    });
  });

  describe('a CONNECT that does not conform: closed without a CONNACK [MQTT-3.1.4-1]', () => {
    const refused = async (bytes: Buffer, what: string) => {
      const c = await h.socket();
      c.send(bytes);
      expect(await c.untilClosed(), what).toEqual([]);
    };
    const { username, password } = { username: str('operator'), password: str('x') };

    it('[MQTT-3.1.2-9] [MQTT-3.1.4-1] Will Flag 1 without Will Topic and Will Message', async () => {
      await refused(rawConnect(h.id(), 0x02 | 0x04), 'no will fields at all');
      await refused(rawConnect(h.id(), 0x02 | 0x04, str('will/topic')), 'a will topic but no will message');
    });

    it('[MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] [MQTT-3.1.4-1] Will Flag 0 with Will QoS, Will Retain or will fields', async () => {
      await refused(rawConnect(h.id(), 0xc2 | 0x08, username, password), 'Will QoS 1');
      await refused(rawConnect(h.id(), 0xc2 | 0x10, username, password), 'Will QoS 2');
      await refused(rawConnect(h.id(), 0xc2 | 0x20, username, password), 'Will Retain');
    });

    it('[MQTT-3.1.2-14] [MQTT-3.1.4-1] Will QoS 3', async () => {
      await refused(connect({ clientId: h.id(), ...h.operator, will: { topic: 'w/x', payload: 'x', qos: 3 } }), 'Will QoS 3');
    });

    it('[MQTT-3.1.2-18] [MQTT-3.1.2-19] [MQTT-3.1.2-20] [MQTT-3.1.2-21] [MQTT-3.1.4-1] a user name or password missing though flagged, or there though not flagged', async () => {
      await refused(rawConnect(h.id(), 0x82), 'User Name Flag 1, no user name');
      await refused(rawConnect(h.id(), 0xc2, username), 'Password Flag 1, no password');
      await refused(rawConnect(h.id(), 0x02, username), 'User Name Flag 0, a user name');
      await refused(rawConnect(h.id(), 0x82, username, password), 'Password Flag 0, a password');
    });

    it('[MQTT-3.1.2-22] [MQTT-3.1.4-1] Password Flag 1 with User Name Flag 0', async () => {
      await refused(rawConnect(h.id(), 0x42, password), 'a password without a user name');
    });
  });

  it('[MQTT-3.1.2-24] no packet within 1.5 times the keep alive: disconnected as if the network failed (the will goes out); PINGREQs keep it', async () => {
    const o = await h.client();
    await h.subscribe(o, [{ topic: 'ka/#', qos: 1 }]);
    const c = await h.client({ keepalive: 1, will: { topic: 'ka/will', payload: 'timed out', qos: 1 } });
    // 2.4 s of PINGREQs every 0.6 s: each answered, the connection stays
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 600));
      c.send(pingreq());
      expect((await c.next()).cmd).toBe('pingresp');
    }
    // then silence
    await h.closedSilently(c);
    expect(text(await o.nextOf('publish'))).toBe('timed out');
  });

  it('[MQTT-3.1.3-5] client ids of 1 to 23 bytes of 0-9, a-z, A-Z are accepted', async () => {
    for (const clientId of ['a', '0', 'Z9', 'abcdefghijklmnopqrstuvw', '0123456789ABCDEFGHIJKLM']) {
      const { connack } = await h.connected({ clientId });
      expect(connack.returnCode, clientId).toBe(0);
    }
  });

  it('[MQTT-3.1.3-6] a zero-byte client id with CleanSession 1 gets a unique one: two such clients stay connected side by side', async () => {
    const a = await h.client({ clientId: '', clean: true });
    const b = await h.client({ clientId: '', clean: true });
    await h.subscribe(a, [{ topic: 'c36/x', qos: 1 }]);
    await h.subscribe(b, [{ topic: 'c36/x', qos: 1 }]);
    await h.sentinel('c36/x');
    for (const c of [a, b]) expect((await h.until(c, 'c36/x')).map(text)).toEqual(['sentinel']);
    expect(a.isOpen && b.isOpen).toBe(true);
  });

  it('[MQTT-3.1.3-8] a zero-byte client id with CleanSession 0: CONNACK 0x02, then the connection closes', async () => {
    const c = await h.socket();
    c.send(connect({ clientId: '', clean: false, ...h.operator }));
    expect(await c.untilClosed()).toEqual([{ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 2 }]);
  });

  it('[MQTT-3.1.3-9] a client id the server rejects (in use by another principal): CONNACK 0x02, then closed', async () => {
    const id = h.id('taken');
    const owner = await h.client({ clientId: id });
    const c = await h.socket();
    c.send(connect({ clientId: id, ...h.tb.credentials.stt }));
    expect(await c.untilClosed()).toEqual([{ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 2 }]);
    c.destroy();
    owner.send(pingreq());
    expect((await owner.next()).cmd).toBe('pingresp');
  });

  it('[MQTT-3.1.4-2] a new connection with a connected client id disconnects the existing client', async () => {
    const id = h.id('twice');
    const first = await h.client({ clientId: id });
    await h.client({ clientId: id });
    await h.closedSilently(first);
  });

  it('[MQTT-3.1.4-4] a valid CONNECT is acknowledged with CONNACK return code 0', async () => {
    const c = await h.socket();
    c.send(connect({ clientId: h.id(), ...h.operator }));
    expect(await c.next()).toEqual({ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 0 });
  });

  it('[MQTT-3.1.4-5] after a refused CONNECT nothing the client sent is processed', async () => {
    const o = await h.client();
    await h.subscribe(o, [{ topic: 'c45/#', qos: 1 }]);
    const c = await h.socket();
    c.send(
      connect({ clientId: h.id(), username: 'operator', password: 'wrong' }),
      publish({ topic: 'c45/x', payload: 'after the refusal', qos: 1, retain: true, messageId: 1 }),
      subscribe(2, [{ topic: '#' }]),
    );
    expect(await c.untilClosed()).toEqual([{ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 4 }]);
    await h.sentinel('c45/end');
    expect((await h.until(o, 'c45/end')).map((p) => p.topic)).toEqual(['c45/end']);
    // nor stored as retained
    const late = await h.client();
    await h.tb.broker.publish('c45/s', 'sentinel', { qos: 1, retain: true });
    await h.subscribe(late, [{ topic: 'c45/#', qos: 1 }]);
    expect((await h.until(late, 'c45/s')).map((p) => p.topic)).toEqual(['c45/s']);
    await h.tb.broker.publish('c45/s', '', { qos: 1, retain: true });
  });
});

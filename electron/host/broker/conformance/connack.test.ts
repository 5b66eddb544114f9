import { describe, expect, it } from 'vitest';
import { connect, disconnect, puback } from '../testing/rawMqtt.js';
import { text, useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.2, CONNACK (statements.ts). */
// a small packet limit, for a CONNECT no return code fits
const MAX_PAYLOAD = 1024;
const h = useConformance({ maxPayloadBytes: MAX_PAYLOAD });

/** A persistent session for `clientId` with one QoS 1 subscription, left offline. */
async function storedSession(clientId: string, topic: string): Promise<void> {
  const c = await h.client({ clientId, clean: false });
  await h.subscribe(c, [{ topic, qos: 1 }]);
  c.send(disconnect());
  await c.closed;
}

describe('CONNACK', () => {
  it('[MQTT-3.2.0-1] the first packet to a client is its CONNACK, also with stored messages waiting', async () => {
    const id = h.id('first');
    await storedSession(id, 'ca/x');
    for (let i = 0; i < 3; i++) await h.publish('ca/x', `queued ${i}`, { qos: 1 });
    const c = await h.socket();
    c.send(connect({ clientId: id, clean: false, ...h.operator }));
    expect(await c.next()).toEqual({ cmd: 'connack', flags: 0, sessionPresent: true, returnCode: 0 });
    for (let i = 0; i < 3; i++) {
      const p = await c.nextOf('publish');
      expect(text(p)).toBe(`queued ${i}`);
      c.send(puback(p.messageId!));
    }
  });

  it('[MQTT-3.2.2-1] CleanSession 1 accepted: Session Present 0, also when a session was stored', async () => {
    const id = h.id('sp1');
    await storedSession(id, 'ca/sp1');
    const { connack } = await h.connected({ clientId: id, clean: true });
    expect(connack).toEqual({ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 0 });
  });

  it('[MQTT-3.2.2-2] CleanSession 0 with a stored session: Session Present 1', async () => {
    const id = h.id('sp2');
    await storedSession(id, 'ca/sp2');
    const { connack } = await h.connected({ clientId: id, clean: false });
    expect(connack).toEqual({ cmd: 'connack', flags: 0, sessionPresent: true, returnCode: 0 });
  });

  it('[MQTT-3.2.2-3] CleanSession 0 without a stored session: Session Present 0', async () => {
    const { connack } = await h.connected({ clientId: h.id('sp3'), clean: false });
    expect(connack).toEqual({ cmd: 'connack', flags: 0, sessionPresent: false, returnCode: 0 });
  });

  it('[MQTT-3.2.2-4] [MQTT-3.2.2-5] a refusal has Session Present 0, even with a stored session, and the connection then closes', async () => {
    const id = h.id('sp4');
    await storedSession(id, 'ca/sp4');
    const refusals: [Buffer, number][] = [
      [connect({ clientId: id, clean: false, username: 'operator', password: 'wrong' }), 4],
      [connect({ clientId: id, clean: false, ...h.operator, protocolLevel: 6 }), 1],
      [connect({ clientId: '', clean: false, ...h.operator }), 2],
    ];
    for (const [bytes, returnCode] of refusals) {
      const c = await h.socket();
      c.send(bytes);
      expect(await c.untilClosed(), `return code ${returnCode}`).toEqual([{ cmd: 'connack', flags: 0, sessionPresent: false, returnCode }]);
    }
    // the session is still there
    const { connack } = await h.connected({ clientId: id, clean: false });
    expect(connack.sessionPresent).toBe(true);
  });

  it('[MQTT-3.2.2-6] a CONNECT no return code fits (over the packet size limit): closed without a CONNACK', async () => {
    const c = await h.socket();
    c.send(connect({ clientId: h.id(), ...h.operator, will: { topic: 'ca/will', payload: Buffer.alloc(MAX_PAYLOAD * 8) } }));
    await h.closedSilently(c);
  });
});

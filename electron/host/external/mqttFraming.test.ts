import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  MalformedPacketError,
  PACKET,
  PacketFramer,
  ack,
  ackPacketId,
  connack,
  packetType,
  parseConnect,
  parsePublish,
  rewriteConnect,
} from './mqttFraming.js';

/** Packets as MQTT.js writes them (mqtt-packet, its own encoder). */
const gen = (p: object): Buffer => mqttPacket.generate(p as mqttPacket.Packet);

function decode(b: Buffer): mqttPacket.Packet {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let out: mqttPacket.Packet | null = null;
  parser.on('packet', (p) => (out = p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(b);
  if (!out) throw new Error('no packet');
  return out;
}

describe('mqttFraming', () => {
  it('cuts a stream into whole packets, whatever the chunking', () => {
    const packets = [
      gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(300, 1), qos: 1, messageId: 7, retain: false, dup: false }),
      gen({ cmd: 'pingreq' }),
      gen({ cmd: 'publish', topic: 'c', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }),
    ];
    const stream = Buffer.concat(packets);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const f = new PacketFramer(1 << 20);
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...f.push(stream.subarray(i, i + size)));
      expect(
        got.map((b) => b.toString('hex')),
        `chunks of ${size}`,
      ).toEqual(packets.map((b) => b.toString('hex')));
    }
  });

  it('refuses a packet over the limit as soon as its length is read, and a 5-byte remaining length', () => {
    const big = gen({ cmd: 'publish', topic: 't', payload: Buffer.alloc(2000), qos: 0, retain: false, dup: false });
    expect(() => new PacketFramer(1000).push(big.subarray(0, 4))).toThrow(MalformedPacketError);
    expect(() => new PacketFramer(1 << 30).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 4 bytes/);
  });

  it('reads a CONNECT and rewrites its credentials, keeping client id, will, keep-alive and clean flag', () => {
    const original = gen({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      keepalive: 45,
      clientId: 'alicia-window-1',
      username: 'window:abcdefgh',
      password: Buffer.from('session-password'),
      will: { topic: 'alicia/x/will', payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    const c = parseConnect(original);
    expect(c).toMatchObject({ protocolLevel: 4, clientId: 'alicia-window-1', username: 'window:abcdefgh' });
    expect(c.password?.toString()).toBe('session-password');
    const rewritten = decode(rewriteConnect(c, 'window-shared', 'shared-password')) as mqttPacket.IConnectPacket;
    expect(rewritten).toMatchObject({
      cmd: 'connect',
      protocolVersion: 4,
      clean: false,
      keepalive: 45,
      clientId: 'alicia-window-1',
      username: 'window-shared',
      will: { topic: 'alicia/x/will', qos: 1, retain: false },
    });
    expect(rewritten.password?.toString()).toBe('shared-password');
    expect(rewritten.will?.payload.toString()).toBe('gone');
    // without credentials at first: they are added
    const anon = parseConnect(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 10, clientId: 'x' }));
    expect(anon.username).toBeUndefined();
    expect(decode(rewriteConnect(anon, 'u', 'p'))).toMatchObject({ username: 'u', clientId: 'x', clean: true });
  });

  it('refuses a first packet that is not a CONNECT, and truncated fields', () => {
    expect(() => parseConnect(gen({ cmd: 'pingreq' }))).toThrow(/not a CONNECT/);
    const c = gen({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 10,
      clientId: 'abc',
      username: 'u',
      password: Buffer.from('p'),
    });
    // cut inside the user name: its length field runs past the end
    expect(() => parseConnect(Buffer.concat([Buffer.from([0x10, c.length - 5]), c.subarray(2, c.length - 3)]))).toThrow(
      MalformedPacketError,
    );
  });

  it('reads a PUBLISH topic, QoS and packet id; writes CONNACK and the acks MQTT.js reads', () => {
    const p = parsePublish(
      gen({ cmd: 'publish', topic: 'alicia/system/host', payload: Buffer.from('{}'), qos: 2, messageId: 513, retain: true, dup: false }),
    );
    expect(p).toEqual({ topic: 'alicia/system/host', qos: 2, packetId: 513 });
    expect(
      parsePublish(gen({ cmd: 'publish', topic: 'a', payload: Buffer.from(''), qos: 0, retain: false, dup: false })).packetId,
    ).toBeUndefined();
    expect(decode(connack(5))).toMatchObject({ cmd: 'connack', returnCode: 5, sessionPresent: false });
    expect(decode(ack(PACKET.PUBACK, 513))).toMatchObject({ cmd: 'puback', messageId: 513 });
    expect(decode(ack(PACKET.PUBREC, 9))).toMatchObject({ cmd: 'pubrec', messageId: 9 });
    expect(decode(ack(PACKET.PUBCOMP, 9))).toMatchObject({ cmd: 'pubcomp', messageId: 9 });
    const pubrel = gen({ cmd: 'pubrel', messageId: 77 });
    expect(packetType(pubrel)).toBe(PACKET.PUBREL);
    expect(ackPacketId(pubrel)).toBe(77);
  });
});

import { remainingLength as encodeRemainingLength } from '../broker/protocolFixes.js';

/**
 * Just enough of MQTT 3.1.1's wire format for the window proxy (windowProxy.ts): cut a byte stream
 * into whole control packets (§2.2: fixed header, "remaining length" in 1-4 bytes), read and
 * rewrite a CONNECT's user name and password (§3.1), read a PUBLISH's topic and packet id (§3.3),
 * and write the few packets the proxy answers itself (CONNACK, PUBACK, PUBREC, PUBCOMP). Everything
 * else passes through as the bytes it came in.
 */

export const PACKET = { CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7 } as const;

/** A malformed stream: the proxy closes the connection (MQTT-4.8.0-1). */
export class MalformedPacketError extends Error {}

/**
 * Cuts a stream into whole packets. push() returns the packets completed by a chunk; bytes of an
 * incomplete one wait for the next chunk. A packet announcing more than maxBytes is refused as soon
 * as its length is read, before its body is buffered.
 */
export class PacketFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const len = remainingLength(this.buf);
      if (len === null) break;
      if (len.value > this.maxBytes) throw new MalformedPacketError(`packet of ${len.value} bytes is over the limit of ${this.maxBytes}`);
      const total = 1 + len.bytes + len.value;
      if (this.buf.length < total) break;
      out.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }
}

/** The remaining length of the packet at the start of buf (§2.2.3), or null when not all of it has arrived. */
function remainingLength(buf: Buffer): { value: number; bytes: number } | null {
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    if (buf.length <= i) return null;
    const b = buf[i]!;
    value += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { value, bytes: i };
  }
  throw new MalformedPacketError('remaining length longer than 4 bytes');
}

export function packetType(packet: Buffer): number {
  return packet[0]! >> 4;
}

/** Offset of the variable header (after the fixed header). */
function bodyStart(packet: Buffer): number {
  let i = 1;
  while (packet[i]! & 0x80) i++;
  return i + 1;
}

function readField(packet: Buffer, at: number): { value: Buffer; next: number } {
  if (at + 2 > packet.length) throw new MalformedPacketError('field runs past the packet');
  const len = packet.readUInt16BE(at);
  if (at + 2 + len > packet.length) throw new MalformedPacketError('field runs past the packet');
  return { value: packet.subarray(at + 2, at + 2 + len), next: at + 2 + len };
}

function field(b: Buffer | string): Buffer {
  const v = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(v.length);
  return Buffer.concat([len, v]);
}

export interface ConnectPacket {
  /** 4 = MQTT 3.1.1, 3 = MQTT 3.1 */
  protocolLevel: number;
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** the bytes up to and including the keep-alive, with the user name and password flags cleared */
  header: Buffer;
  /** the client id and the will (topic and message), as sent */
  idAndWill: Buffer;
}

/** Read a CONNECT (§3.1). */
export function parseConnect(packet: Buffer): ConnectPacket {
  if (packetType(packet) !== PACKET.CONNECT) throw new MalformedPacketError('the first packet is not a CONNECT (MQTT-3.1.0-1)');
  const start = bodyStart(packet);
  const name = readField(packet, start);
  const protocol = name.value.toString('latin1');
  if (protocol !== 'MQTT' && protocol !== 'MQIsdp') throw new MalformedPacketError(`unknown protocol name ${JSON.stringify(protocol)}`);
  const level = packet[name.next];
  const flags = packet[name.next + 1];
  if (level === undefined || flags === undefined || name.next + 4 > packet.length) throw new MalformedPacketError('CONNECT too short');
  let at = name.next + 4; // level, flags, keep-alive (2)
  const idStart = at;
  const id = readField(packet, at);
  at = id.next;
  if (flags & 0x04) {
    at = readField(packet, at).next; // will topic
    at = readField(packet, at).next; // will message
  }
  const idAndWill = packet.subarray(idStart, at);
  let username: string | undefined;
  let password: Buffer | undefined;
  if (flags & 0x80) {
    const u = readField(packet, at);
    username = u.value.toString('utf8');
    at = u.next;
  }
  if (flags & 0x40) password = Buffer.from(readField(packet, at).value);
  const header = Buffer.from(packet.subarray(start, idStart));
  header[header.length - 3] = flags & 0x3f; // flags byte sits before the 2-byte keep-alive
  return { protocolLevel: level, clientId: id.value.toString('utf8'), username, password, header, idAndWill: Buffer.from(idAndWill) };
}

/** The same CONNECT with another user name and password. */
export function rewriteConnect(c: ConnectPacket, username: string, password: string): Buffer {
  const header = Buffer.from(c.header);
  header[header.length - 3]! |= 0xc0;
  const body = Buffer.concat([header, c.idAndWill, field(username), field(password)]);
  return Buffer.concat([Buffer.from([PACKET.CONNECT << 4]), encodeRemainingLength(body.length), body]);
}

export interface PublishInfo {
  topic: string;
  qos: number;
  /** present for QoS 1 and 2 */
  packetId: number | undefined;
}

/** Read a PUBLISH's topic, QoS and packet id (§3.3.2). */
export function parsePublish(packet: Buffer): PublishInfo {
  const qos = (packet[0]! >> 1) & 0x03;
  if (qos === 3) throw new MalformedPacketError('PUBLISH with QoS 3 (MQTT-3.3.1-4)');
  const t = readField(packet, bodyStart(packet));
  const packetId = qos > 0 ? (t.next + 2 <= packet.length ? packet.readUInt16BE(t.next) : undefined) : undefined;
  if (qos > 0 && packetId === undefined) throw new MalformedPacketError('PUBLISH without its packet id');
  return { topic: t.value.toString('utf8'), qos, packetId };
}

/** The packet id of a PUBACK/PUBREC/PUBREL/PUBCOMP. */
export function ackPacketId(packet: Buffer): number | undefined {
  const at = bodyStart(packet);
  return at + 2 <= packet.length ? packet.readUInt16BE(at) : undefined;
}

/** CONNACK with a return code (§3.2.2.3: 0 accepted, 3 server unavailable, 4 bad user name or password, 5 not authorized). */
export function connack(returnCode: number): Buffer {
  return Buffer.from([PACKET.CONNACK << 4, 2, 0, returnCode]);
}

/** PUBACK, PUBREC or PUBCOMP for a packet id. */
export function ack(type: typeof PACKET.PUBACK | typeof PACKET.PUBREC | typeof PACKET.PUBCOMP, packetId: number): Buffer {
  return Buffer.from([type << 4, 2, packetId >> 8, packetId & 0xff]);
}

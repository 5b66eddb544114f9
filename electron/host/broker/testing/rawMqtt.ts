import { connect as netConnect, type Socket } from 'node:net';
import { remainingLength } from '../protocolFixes.js';

export { remainingLength };

/**
 * MQTT 3.1.1 packets built by hand and read back from the wire, for tests that must send what a
 * well-behaved client never would (reserved bits, bad flags, a second CONNECT, a withheld PUBACK)
 * and see exactly what the broker answers. Written from the specification's packet layouts
 * (sections 2 and 3), not with mqtt-packet, so that a fault in the parser the broker itself uses
 * cannot hide in the tests (only the remaining-length encoding is the broker's own).
 */

/** A UTF-8 string with its two-byte length (section 1.5.3); a Buffer is taken as the encoded bytes. */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A whole packet: first byte (type << 4 | flags), remaining length, body. */
export function packet(firstByte: number, ...body: Buffer[]): Buffer {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(b.length), b]);
}

export interface ConnectOptions {
  clientId: string | Buffer;
  username?: string | Buffer;
  password?: string | Buffer;
  clean?: boolean;
  keepalive?: number;
  will?: { topic: string | Buffer; payload: string | Buffer; qos?: number; retain?: boolean };
  protocolName?: string;
  protocolLevel?: number;
  /** the connect flags byte as given, instead of the one the fields above make */
  flags?: number;
  /** bits OR-ed into the fixed header's low nibble (reserved: 0) */
  headerFlags?: number;
  /** MQTT 5 only: the properties after Keep Alive, as encoded (e.g. [0]: none) */
  properties?: Buffer;
}

/** CONNECT, section 3.1. */
export function connect(o: ConnectOptions): Buffer {
  let flags = 0;
  if (o.clean ?? true) flags |= 0x02;
  if (o.will) flags |= 0x04 | ((o.will.qos ?? 0) << 3) | (o.will.retain ? 0x20 : 0);
  if (o.password !== undefined) flags |= 0x40;
  if (o.username !== undefined) flags |= 0x80;
  const payload = [str(o.clientId)];
  if (o.will) payload.push(str(o.will.topic), str(o.will.payload));
  if (o.username !== undefined) payload.push(str(o.username));
  if (o.password !== undefined) payload.push(str(o.password));
  return packet(
    0x10 | (o.headerFlags ?? 0),
    str(o.protocolName ?? 'MQTT'),
    Buffer.from([o.protocolLevel ?? 4, o.flags ?? flags]),
    u16(o.keepalive ?? 0),
    ...(o.properties ? [o.properties] : []),
    ...payload,
  );
}

export interface PublishOptions {
  topic: string | Buffer;
  payload?: string | Buffer;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
}

/** PUBLISH, section 3.3 (qos 3 is sent as asked, both QoS bits set). */
export function publish(o: PublishOptions): Buffer {
  const qos = o.qos ?? 0;
  const first = 0x30 | (o.dup ? 0x08 : 0) | (qos << 1) | (o.retain ? 0x01 : 0);
  const id = qos > 0 ? [u16(o.messageId ?? 1)] : [];
  return packet(
    first,
    str(o.topic),
    ...id,
    typeof o.payload === 'string' || o.payload === undefined ? Buffer.from(o.payload ?? '') : o.payload,
  );
}

/** SUBSCRIBE, section 3.8; `options` is the whole requested-QoS byte (reserved bits included). */
export function subscribe(
  messageId: number,
  subs: { topic: string | Buffer; qos?: number; options?: number }[],
  headerFlags = 0x02,
): Buffer {
  return packet(0x80 | headerFlags, u16(messageId), ...subs.flatMap((s) => [str(s.topic), Buffer.from([s.options ?? s.qos ?? 0])]));
}

/** UNSUBSCRIBE, section 3.10. */
export function unsubscribe(messageId: number, topics: (string | Buffer)[], headerFlags = 0x02): Buffer {
  return packet(0xa0 | headerFlags, u16(messageId), ...topics.map((t) => str(t)));
}

export const puback = (id: number) => packet(0x40, u16(id));
export const pubrec = (id: number) => packet(0x50, u16(id));
export const pubrel = (id: number, headerFlags = 0x02) => packet(0x60 | headerFlags, u16(id));
export const pubcomp = (id: number) => packet(0x70, u16(id));
export const pingreq = (headerFlags = 0) => packet(0xc0 | headerFlags);
export const disconnect = (headerFlags = 0) => packet(0xe0 | headerFlags);

/** What the server sent, decoded (section 3). */
export type ServerPacket =
  | { cmd: 'connack'; flags: number; sessionPresent: boolean; returnCode: number }
  | { cmd: 'publish'; flags: number; dup: boolean; qos: number; retain: boolean; topic: string; messageId?: number; payload: Buffer }
  | { cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; flags: number; messageId: number }
  | { cmd: 'suback'; flags: number; messageId: number; granted: number[] }
  | { cmd: 'pingresp'; flags: number }
  | { cmd: 'other'; type: number; flags: number; body: Buffer };

const ACKS = { 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp', 11: 'unsuback' } as const;

function decode(first: number, body: Buffer): ServerPacket {
  const type = first >> 4;
  const flags = first & 0x0f;
  switch (type) {
    case 2:
      return { cmd: 'connack', flags, sessionPresent: (body[0]! & 0x01) === 1, returnCode: body[1]! };
    case 3: {
      const qos = (flags >> 1) & 0x03;
      const tlen = body.readUInt16BE(0);
      const topic = body.subarray(2, 2 + tlen).toString('utf8');
      let at = 2 + tlen;
      let messageId: number | undefined;
      if (qos > 0) {
        messageId = body.readUInt16BE(at);
        at += 2;
      }
      const p = {
        cmd: 'publish' as const,
        flags,
        dup: (flags & 0x08) !== 0,
        qos,
        retain: (flags & 0x01) !== 0,
        topic,
        payload: body.subarray(at),
      };
      return messageId === undefined ? p : { ...p, messageId };
    }
    case 4:
    case 5:
    case 6:
    case 7:
    case 11:
      return { cmd: ACKS[type], flags, messageId: body.readUInt16BE(0) };
    case 9:
      return { cmd: 'suback', flags, messageId: body.readUInt16BE(0), granted: [...body.subarray(2)] };
    case 13:
      return { cmd: 'pingresp', flags };
    default:
      return { cmd: 'other', type, flags, body };
  }
}

/**
 * A raw TCP connection to the broker: send bytes, read decoded packets in order, see the close.
 * Nothing is answered automatically (no PUBACK, no PINGREQ): the test does that.
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private readonly packets: ServerPacket[] = [];
  private waiters: (() => void)[] = [];
  private isClosed = false;
  /** resolves when the server (or destroy()) closed the connection */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // a reset by the broker is a close like any other
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(url: string): Promise<RawClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: u.hostname, port: Number(u.port) }, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Open a connection and CONNECT; resolves with the CONNACK (rejects unless its return code is 0). */
  static async connected(url: string, o: ConnectOptions): Promise<{ client: RawClient; connack: ServerPacket & { cmd: 'connack' } }> {
    const client = await RawClient.open(url);
    client.send(connect(o));
    const connack = await client.next();
    if (connack.cmd !== 'connack' || connack.returnCode !== 0) {
      client.destroy();
      throw new Error(`CONNECT refused: ${JSON.stringify(connack)}`);
    }
    return { client, connack };
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  /** The next packet the server sent; rejects when the connection closes first or after timeoutMs. */
  async next(timeoutMs = 5000): Promise<ServerPacket> {
    const end = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      if (this.isClosed) throw new Error('the connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.packets.shift()!;
  }

  /** The next packet of this kind, skipping (and returning) the others that came before it. */
  async nextOf<C extends ServerPacket['cmd']>(cmd: C, timeoutMs = 5000): Promise<Extract<ServerPacket, { cmd: C }>> {
    for (;;) {
      const p = await this.next(timeoutMs);
      if (p.cmd === cmd) return p as Extract<ServerPacket, { cmd: C }>;
    }
  }

  /** Every packet the server sends until it closes the connection (rejects after timeoutMs). */
  async untilClosed(timeoutMs = 5000): Promise<ServerPacket[]> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the connection was still open after ${timeoutMs} ms`)), timeoutMs).unref(),
    );
    await Promise.race([this.closed, timeout]);
    return this.packets.splice(0);
  }

  /** Packets received and not yet read. */
  pending(): ServerPacket[] {
    return [...this.packets];
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) break;
      let len = 0;
      let mult = 1;
      let i = 1;
      let complete = false;
      for (; i < this.buf.length && i <= 4; i++) {
        const b = this.buf[i]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || this.buf.length < i + 1 + len) break;
      const body = this.buf.subarray(i + 1, i + 1 + len);
      this.packets.push(decode(this.buf[0]!, Buffer.from(body)));
      this.buf = this.buf.subarray(i + 1 + len);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

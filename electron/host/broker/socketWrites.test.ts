import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from './socketWrites.js';

/**
 * socketWrites.ts on real loopback sockets: a server-side socket with coalesceWrites, written the
 * way Aedes writes (each packet from its own setImmediate callback, several writes a packet, as
 * mqtt-packet does), read by a plain client. The syscalls are counted at the socket's _writev /
 * _write, where Node hands bytes to libuv.
 */

interface Pair {
  server: Server;
  /** the accepted (broker) side */
  side: Socket;
  client: Socket;
  received: () => Buffer;
  /** calls that reached the kernel from `side` */
  flushes: () => number;
}

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) {
    p.client.destroy();
    p.side.destroy();
    await new Promise<void>((r) => p.server.close(() => r()));
  }
});

async function pair(coalesce: boolean): Promise<Pair> {
  const server = createServer({ noDelay: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  const [side] = await accepted;
  let flushes = 0;
  const s = side as Socket & { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
  const writev = s._writev.bind(s);
  const write1 = s._write.bind(s);
  s._writev = (...a) => (flushes++, writev(...a));
  s._write = (...a) => (flushes++, write1(...a));
  if (coalesce) coalesceWrites(side);
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  const p = { server, side, client, received: () => Buffer.concat(chunks), flushes: () => flushes };
  pairs.push(p);
  return p;
}

/** `n` packets of 3 writes each (header, topic, payload), each packet from its own immediate,
 * corked until the next tick as mqtt-packet does. */
function aedesLikeWrites(side: Socket, n: number): Buffer {
  const expected: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const parts = [Buffer.from([0x30, 20]), Buffer.from(`topic/${String(i).padStart(4, '0')}`), Buffer.from(`payload-${i % 10}`)];
    expected.push(...parts);
    setImmediate(() => {
      side.cork();
      for (const part of parts) side.write(part);
      process.nextTick(() => side.uncork());
    });
  }
  return Buffer.concat(expected);
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('coalesceWrites', () => {
  it('sends the packets written in one turn in one syscall, bytes in order', async () => {
    const plain = await pair(false);
    const want = aedesLikeWrites(plain.side, 200);
    await until(() => plain.received().length === want.length);
    expect(plain.received().equals(want)).toBe(true);
    // without it: one syscall per packet (the baseline the module exists for)
    expect(plain.flushes()).toBeGreaterThan(100);

    const p = await pair(true);
    const want2 = aedesLikeWrites(p.side, 200);
    await until(() => p.received().length === want2.length);
    expect(p.received().equals(want2)).toBe(true);
    expect(p.flushes()).toBe(1);
  });

  it('goes on coalescing turn after turn (every turn is flushed)', async () => {
    const p = await pair(true);
    let want = Buffer.alloc(0);
    for (let turn = 0; turn < 5; turn++) {
      want = Buffer.concat([want, aedesLikeWrites(p.side, 10)]);
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => p.received().length === want.length);
    expect(p.received().equals(want)).toBe(true);
    expect(p.flushes()).toBe(5);
  });

  it('a write outside the check phase (e.g. a CONNACK from an I/O callback) goes out the same turn', async () => {
    const p = await pair(true);
    const t0 = performance.now();
    p.side.write(Buffer.from('connack'));
    await until(() => p.received().length === 7);
    expect(p.received().toString()).toBe('connack');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('destroy() without an error sends what is corked first (a client the broker closes)', async () => {
    const p = await pair(true);
    const closed = once(p.client, 'close');
    setImmediate(() => {
      p.side.write(Buffer.from('last words'));
      p.side.destroy();
    });
    await closed;
    expect(p.received().toString()).toBe('last words');
  });

  it('keeps backpressure: write() returns false past the highWaterMark while corked, then drains', async () => {
    const p = await pair(true);
    const block = Buffer.alloc(1024, 7);
    let sawFalse = false;
    let total = 0;
    await new Promise<void>((r) =>
      setImmediate(() => {
        for (let i = 0; i < 256; i++) {
          if (!p.side.write(block)) sawFalse = true;
          total += block.length;
        }
        r();
      }),
    );
    expect(sawFalse).toBe(true);
    await once(p.side, 'drain');
    await until(() => p.received().length === total);
  });
});

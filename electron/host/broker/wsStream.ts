import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A WebSocket as the byte stream Aedes reads and writes (`broker.handle(stream)`), sending the
 * writes of one event-loop turn as ONE WebSocket frame.
 *
 * Why not ws's createWebSocketStream: mqtt-packet writes a PUBLISH as several stream writes (fixed
 * header, topic, payload ...) and ws's stream sends every write as its own frame, so a browser got
 * ~5 frames per MQTT message, each a separate 'message' event on the page's main thread (measured:
 * e2e/bench/ui.bench.ts). MQTT over WebSocket lets one frame carry several MQTT packets or part of
 * one (MQTT 3.1.1 section 6: "A single WebSocket data frame can contain multiple or partial MQTT
 * Control Packets"; the receiver must not assume packets are aligned on frame boundaries), and
 * mqtt.js (browser and Node) parses the bytes as a stream, so coalescing is invisible to clients.
 *
 * Flushing: writes collect in a list and go out together on setImmediate, i.e. after the current
 * turn's I/O callbacks, which is when Aedes has written every packet it delivers in that turn.
 * Backpressure: a write completes at once while the bytes queued here plus ws.bufferedAmount stay
 * under `highWaterMark`; past that its callback waits until the socket has taken the data, so
 * Duplex.write() returns false and Aedes waits for 'drain' (aedes lib/write.js), as it does on TCP.
 * Reading, end and destroy follow ws's createWebSocketStream (ws lib/stream.js): pause the socket
 * when the reader is full, end the readable on close, terminate on destroy; pending bytes are sent
 * before close/terminate so a final CONNACK (e.g. "bad user name or password") still reaches the
 * client.
 */
export interface CoalescingWsStreamOptions {
  /** bytes queued (here + in ws) before writes report backpressure; default 1 MiB */
  highWaterMark?: number;
  /** largest single frame: a flush bigger than this is sent in several frames; default 1 MiB */
  maxFrameBytes?: number;
}

export function createCoalescingWebSocketStream(ws: WebSocket, opts: CoalescingWsStreamOptions = {}): Duplex {
  const highWaterMark = opts.highWaterMark ?? 1024 * 1024;
  const maxFrameBytes = opts.maxFrameBytes ?? 1024 * 1024;
  let chunks: Buffer[] = [];
  let queuedBytes = 0;
  let flushScheduled: NodeJS.Immediate | null = null;
  /** the callback of a write held back for backpressure (Writable calls _write one at a time) */
  let heldCallback: ((err?: Error | null) => void) | null = null;
  let terminateOnDestroy = true;

  const duplex = new Duplex({
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  const releaseHeld = (err?: Error | null) => {
    const cb = heldCallback;
    heldCallback = null;
    cb?.(err);
  };

  /** Send what is queued now, in frames of at most maxFrameBytes. */
  const flush = () => {
    if (flushScheduled) clearImmediate(flushScheduled);
    flushScheduled = null;
    if (queuedBytes === 0) return;
    const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, queuedBytes);
    chunks = [];
    queuedBytes = 0;
    if (ws.readyState !== ws.OPEN) {
      // closing or closed: ws.send would throw or drop; the connection is going away anyway
      releaseHeld();
      return;
    }
    for (let off = 0; off < data.length; off += maxFrameBytes) {
      const part = off === 0 && data.length <= maxFrameBytes ? data : data.subarray(off, off + maxFrameBytes);
      const last = off + maxFrameBytes >= data.length;
      ws.send(part, { binary: true }, (err) => {
        if (err) {
          releaseHeld(err);
          return;
        }
        // The socket has taken this frame and so everything before it (writes complete in order),
        // and nothing was queued after it while a write was held: let the held write go.
        if (last) releaseHeld();
      });
    }
  };

  ws.on('message', (msg: Buffer | ArrayBuffer | Buffer[]) => {
    const data = Buffer.isBuffer(msg) ? msg : Array.isArray(msg) ? Buffer.concat(msg) : Buffer.from(msg);
    if (!duplex.push(data)) ws.pause();
  });

  ws.once('error', (err: Error) => {
    if (duplex.destroyed) return;
    // ws closes the connection itself after an error (see ws lib/stream.js): do not terminate it
    // too, or the close frame may not be sent.
    terminateOnDestroy = false;
    duplex.destroy(err);
  });

  ws.once('close', () => {
    if (flushScheduled) clearImmediate(flushScheduled);
    flushScheduled = null;
    chunks = [];
    queuedBytes = 0;
    // a write held for backpressure completes quietly: Aedes learns of the close from 'end'
    releaseHeld();
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void) => {
    if (ws.readyState === ws.CONNECTING) {
      // server-side sockets are open on 'connection'; kept for parity with ws's stream
      ws.once('open', () => duplex._write(chunk, _enc, callback));
      return;
    }
    chunks.push(chunk);
    queuedBytes += chunk.length;
    flushScheduled ??= setImmediate(flush);
    if (queuedBytes + ws.bufferedAmount < highWaterMark) callback();
    else heldCallback = callback;
  };

  duplex._final = (callback: (err?: Error | null) => void) => {
    flush();
    if (ws.readyState === ws.CLOSED) {
      callback();
      return;
    }
    // as ws's stream: finish once the socket has flushed (the readable ends on 'close')
    const socket = (ws as unknown as { _socket: (NodeJS.WritableStream & { writableFinished: boolean }) | null })._socket;
    if (socket === null) return;
    if (socket.writableFinished) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    socket.once('finish', () => callback());
    ws.close();
  };

  duplex._destroy = (err: Error | null, callback: (err: Error | null) => void) => {
    // bytes already written (a refusing CONNACK, a last PUBLISH) go out before the socket does
    flush();
    releaseHeld();
    if (ws.readyState === ws.CLOSED) {
      callback(err);
      process.nextTick(() => duplex.emit('close'));
      return;
    }
    let called = false;
    ws.once('error', (e: Error) => {
      called = true;
      callback(e);
    });
    ws.once('close', () => {
      if (!called) callback(err);
      process.nextTick(() => duplex.emit('close'));
    });
    if (terminateOnDestroy) ws.terminate();
  };

  // as ws's stream: destroy once both sides are done, and on an error
  duplex.on('end', () => {
    if (duplex.writableFinished) duplex.destroy();
  });
  duplex.on('error', () => {
    if (!duplex.destroyed) duplex.destroy();
  });
  return duplex;
}

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * A TCP (or TLS) client connection as the byte stream Aedes reads and writes
 * (`broker.handle(stream)`), whose input ends only after every byte that arrived has been read,
 * also when the peer vanished (a reset: its process was killed).
 *
 * Why: on a socket error Aedes closes the client at once (aedes lib/client.js _onError, close), and
 * two things that had already reached the broker were lost with it:
 * - bytes received but not yet parsed. Aedes reads a connection's next bytes only once the packets
 *   it read before are handled (lib/client.js nextBatch), so a client that sends while the broker is
 *   busy has them waiting in the socket's buffer;
 * - QoS 1 PUBLISHes being handled: Aedes writes the PUBACK first and routes the message only if that
 *   write succeeds (lib/handlers/publish.js enqueuePublish), which it no longer does on a closed client.
 * A service killed with kill -9 right after answering lost its answers that way, and because it had
 * recorded them as sent (services/lib/runtime/handledRequests.ts) the requests came back unanswered
 * (the kill -9 test on a loaded machine: 16 KB unread at the reset, 49 replies and the requests'
 * PUBACKs). MQTT 3.1.1 has the receiver of a QoS 1 PUBLISH take ownership and then acknowledge it
 * [MQTT-4.3.2-2]; a message the broker has received is routed [MQTT-4.5.0-1] whether or not the
 * PUBACK can still reach its sender (QoS 1 allows the duplicate a surviving sender would cause).
 *
 * How: a reset, an error or a close ends this stream's input (push(null)) after what is buffered, so
 * Aedes reads and handles the rest and then sees 'end', its normal close path (the will included).
 * Writes to a peer that is gone complete at once and are dropped: nothing can reach it, and what
 * needed delivery stays in its session until PUBACKed and is sent again when it reconnects
 * [MQTT-4.4.0-1]. A live peer keeps Node's backpressure: a write the socket does not take at once
 * completes on its 'drain', so Duplex.write() returns false and Aedes waits (lib/write.js).
 */
export class TcpStream extends Duplex {
  /** the peer is gone: input ends after what is buffered, output is dropped */
  private lost = false;
  /** a write waiting for the socket's 'drain' (Writable hands over one write at a time) */
  private held: (() => void) | null = null;

  /** `onError`: a socket error, once, unless this stream was destroyed first (Aedes reports those itself) */
  constructor(
    private readonly socket: Socket,
    onError: (err: Error) => void,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    // the peer's FIN: its last bytes are read first, as before; writes go on until Node ends the socket
    socket.on('end', () => {
      if (!this.destroyed) this.push(null);
    });
    socket.on('drain', () => this.release());
    socket.on('error', (err) => {
      if (!this.lost && !this.destroyed) onError(err);
      this.peerGone();
    });
    socket.on('close', () => this.peerGone());
  }

  /** for the broker's log lines (Aedes hands the stream around as `client.conn`) */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: () => void): void {
    this.forward([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    this.forward(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: () => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    this.release();
    // Always without the error: a socket destroyed without one first sends what it holds
    // (socketWrites.ts). Aedes writes a refusing CONNACK (0x01, 0x02) and then fails the client with
    // an error [MQTT-3.1.2-2] [MQTT-3.2.2-5]; with the error passed on, the CONNACK, still corked,
    // was dropped. The error itself reaches Aedes through this stream's callback.
    this.socket.destroy();
    callback(err);
  }

  private forward(chunks: Buffer[], callback: () => void): void {
    if (this.lost) return callback();
    let taken = true;
    for (const c of chunks) taken = this.socket.write(c);
    if (taken) callback();
    else this.held = callback;
  }

  private peerGone(): void {
    if (this.lost) return;
    this.lost = true;
    this.release();
    if (!this.destroyed) this.push(null);
  }

  private release(): void {
    const callback = this.held;
    this.held = null;
    callback?.();
  }
}

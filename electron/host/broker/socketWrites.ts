import type { Socket } from 'node:net';

/**
 * Send the writes of one event-loop turn to a TCP (or TLS) client in one syscall.
 *
 * Why: Aedes delivers every QoS 0 message from its own setImmediate callback (aedes lib/client.js
 * deliver0) and mqtt-packet corks the socket only until the next process.nextTick
 * (mqtt-packet writeToStream.js generate), so each delivered PUBLISH was its own writev(2): on
 * loopback that syscall also runs the receiving side's TCP input. In the fan-in benchmark the
 * broker thread spent ~30 µs per delivered message with it and ~22 µs without it
 * (docs/benchmarks.md). The window's WebSocket coalesces the same way (wsStream.ts).
 *
 * How: the first write of a turn corks the socket and queues an uncork with setImmediate. An
 * immediate queued while immediates run goes in the next turn's queue, ahead of that turn's new
 * deliveries, so the packets Aedes writes in one check phase leave together at the start of the
 * next one: one empty loop turn later when the broker is idle. Backpressure is Node's own: while
 * corked, write() still returns false past the socket's highWaterMark, Aedes waits for 'drain'
 * (aedes lib/write.js), and the uncork lets the bytes out. A destroy() without an error (a client
 * closed by the broker) first hands what is corked to the kernel, as the per-packet uncork did.
 */
export function coalesceWrites(socket: Socket): void {
  // the socket's own methods, wrapped below (called with the socket as `this`)
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  const destroy = socket.destroy.bind(socket);
  let corked = false;
  const release = () => {
    if (!corked) return;
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = function (...args: unknown[]): boolean {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(release);
    }
    return write(...args);
  };
  socket.destroy = function (err?: Error): Socket {
    if (!err) release();
    return destroy(err);
  };
}

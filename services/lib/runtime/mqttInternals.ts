import type { IPublishPacket, MqttClient } from 'mqtt';
import { AliciaError } from '../protocol/errors.js';

/**
 * Every reach into MQTT.js's private API lives in this file: the held PUBACK below.
 *
 * It was written against this MQTT.js version; mqttInternals.test.ts pins it and fails on any other
 * until these three facts are checked again in node_modules/mqtt/build/lib (then update the version):
 * 1. `MqttClient.prototype._sendPacket(packet, cb, ...rest)` exists and writes every outgoing packet,
 *    the PUBACK of a QoS 1 PUBLISH included (handlers/publish.js);
 * 2. a QoS 1 PUBLISH is emitted to 'message' listeners synchronously, before its PUBACK is sent;
 * 3. the PUBACK's `cb` is the packet loop's `done`: calling it lets MQTT.js read the next packet.
 */
export const MQTT_JS_VERSION = '5.16.0';

/** Longest a PUBACK waits for its handler; a slower (stuck) handler is acked anyway. */
const ACK_HOLD_MAX_MS = 30_000;

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface HeldAck {
  messageId: number;
  /** its handler has settled (or the hold timed out) */
  ready: boolean;
  /** MQTT.js's PUBACK write, once MQTT.js has asked for it */
  send: (() => void) | null;
}

/**
 * Hold the PUBACK of a QoS 1 message until its handler has settled.
 *
 * MQTT.js sends the PUBACK as soon as a message is read. A request acked before its handler answered
 * is lost when the process is killed: the broker never redelivers an acked message (kill -9 with 1,000
 * commands in flight lost 112, docs/reliability.md). Held, the persistent session redelivers whatever
 * was not acked. Only the PUBACK write is deferred, never MQTT.js's packet loop: a handler awaiting its
 * own QoS 1 publish or a reply must still be able to read it. PUBACKs leave in arrival order
 * (MQTT 3.1.1, MQTT-4.6.0-2).
 */
export class PubackHold {
  private readonly held: HeldAck[] = [];
  private readonly packets = new WeakSet<object>();

  constructor(private readonly maxHoldMs = ACK_HOLD_MAX_MS) {}

  /** Route the client's PUBACKs through this hold: call before the client can receive a message. */
  attach(client: MqttClient): void {
    const internals = client as unknown as { _sendPacket?: SendPacket };
    if (typeof internals._sendPacket !== 'function') {
      throw new AliciaError(
        'INTERNAL',
        `MQTT.js has no _sendPacket (checked against ${MQTT_JS_VERSION}): the PUBACK hold in mqttInternals.ts must be redone`,
      );
    }
    const sendPacket = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const entry = this.held.find((h) => h.messageId === packet.messageId && h.send === null);
        if (entry) {
          entry.send = () => sendPacket(packet, undefined, ...rest);
          cb?.(); // the packet loop goes on now; only the write waits
          this.flush();
          return;
        }
      }
      sendPacket(packet, cb, ...rest);
    };
  }

  /**
   * Hold this message's PUBACK until `until` settles, at most maxHoldMs. Call it from a 'message'
   * listener (before MQTT.js asks for the PUBACK); a packet already held keeps its first hold.
   */
  hold(packet: IPublishPacket, until: Promise<unknown>): void {
    if (packet.qos !== 1 || packet.messageId === undefined || this.packets.has(packet)) return;
    this.packets.add(packet);
    const entry: HeldAck = { messageId: packet.messageId, ready: false, send: null };
    this.held.push(entry);
    const release = () => {
      clearTimeout(timer);
      entry.ready = true;
      this.flush();
    };
    const timer = setTimeout(release, this.maxHoldMs);
    timer.unref();
    const settled = () => undefined;
    void until.then(settled, settled).then(release);
  }

  private flush(): void {
    while (this.held.length > 0) {
      const head = this.held[0]!;
      if (!head.ready || !head.send) return;
      this.held.shift();
      head.send();
    }
  }
}

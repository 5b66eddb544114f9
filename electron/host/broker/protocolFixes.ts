import type { Aedes, Client, ConnectPacket } from 'aedes';
import { parseSharedFilter } from '../../../services/lib/protocol/sharedSubscription.js';
import { topicMatches } from '../../../services/lib/protocol/topics.js';
import { beforeHandling, markRedeliveries, onParserError, refusePacket, subscriptionsOf, wrapDelivery } from './aedesInternals.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

/**
 * Where Aedes 1.2 (with its parser, mqtt-packet 9) breaks a MUST of MQTT 3.1.1 that a server has to
 * honour, the broker's fix, each citing its statement. The tests are conformance/*.test.ts, one per
 * control packet, every MUST tagged with its statement id; docs/decisions.md lists these fixes.
 * The Aedes internals they need are in aedesInternals.ts.
 */

/** A CONNECT the broker refuses with a CONNACK return code (ClientAccess answers it). */
export interface ConnectRefusal {
  returnCode: 2;
  reason: string;
}

/** The mqtt-packet error for a CONNECT whose protocol level it does not know (its parser.js _parseConnect). */
const UNSUPPORTED_LEVEL = 'Invalid protocol version';

/** CONNACK with return code 0x01, "unacceptable protocol version" (section 3.2, Figure 3.9). */
const CONNACK_UNSUPPORTED_LEVEL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

const QOS_CACHE_MAX = 1024;

interface PendingSuback {
  messageId: number;
  asked: { topic: string; qos: number }[];
  distinct: string[];
}

/** An MQTT remaining length (section 2.2.3): 7 bits per byte, the high bit says another byte follows. */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export class ProtocolFixes {
  private readonly refusals = new WeakMap<Client, ConnectRefusal>();
  /** SUBSCRIBEs that named a filter twice, waiting for their SUBACK */
  private readonly subacks = new WeakMap<Client, PendingSuback[]>();
  /** per client: the highest QoS granted to a subscription matching a topic, by topic */
  private readonly grantedQos = new WeakMap<Client, Map<string, number | undefined>>();

  constructor(private readonly log: Logger) {}

  /** The fixes that concern the whole broker; returns the names of those that could not be put in place. */
  install(broker: Aedes): string[] {
    const missing: string[] = [];
    // [MQTT-3.3.1-1] "The DUP flag MUST be set to 1 by the Client or Server when it attempts to
    // re-deliver a PUBLISH Packet": Aedes resends a session's unacknowledged messages on reconnect
    // with DUP 0, as first sent; and [MQTT-3.3.1-3] (below) for messages that waited in the session
    if (!markRedeliveries(broker)) missing.push('DUP on redelivery [MQTT-3.3.1-1]');
    // the QoS a client's subscriptions grant changes with them
    const forget = (_subs: unknown, client: Client) => this.grantedQos.delete(client);
    broker.on('subscribe', forget);
    broker.on('unsubscribe', forget);
    broker.on('subscribe', (subs, client) => this.answerSubscribe(subs, client));
    return missing;
  }

  /** The fixes for one connection, put in place as Aedes takes it (before its CONNECT is read). */
  connection(client: Client): string[] {
    const missing: string[] = [];
    // [MQTT-3.1.2-2] "The Server MUST respond to the CONNECT Packet with a CONNACK return code
    // 0x01 (unacceptable protocol level) and then disconnect the Client if the Protocol Level is
    // not supported": mqtt-packet fails on a level other than 3, 4 and 5, and Aedes then closes the
    // connection without a CONNACK
    if (!onParserError(client, (err, cmd) => this.unsupportedLevel(client, err, cmd))) missing.push('CONNACK 0x01 [MQTT-3.1.2-2]');
    // [MQTT-3.3.5-1] "the Server MUST deliver the message to the Client respecting the maximum QoS
    // of all the matching subscriptions" and [MQTT-3.8.4-6] "The QoS of Payload Messages sent in
    // response to a Subscription MUST be the minimum of the QoS of the originally published message
    // and the maximum QoS granted": Aedes delivers a message once, through whichever matching
    // subscription comes first (a QoS 0 one could win over a QoS 1 one), and caps its QoS only by a
    // subscription to exactly its topic (a QoS 2 message reached a QoS 1 wildcard subscription at QoS 2)
    // ... and [MQTT-3.3.1-3] "The value of the DUP flag from an incoming PUBLISH packet is not
    // propagated when the PUBLISH Packet is sent to subscribers": Aedes passed the publisher's DUP 1
    // on, to QoS 0 subscribers too ([MQTT-3.3.1-2])
    // ... and one message delivered once by its identity: Aedes's dedupe dropped a retained or QoS 1
    // message that a later QoS 0 one had overtaken inside the broker
    if (!wrapDelivery(client, (topic, qos) => Math.min(qos, this.maxGrantedQos(client, topic) ?? qos))) {
      missing.push('delivery QoS, DUP and dedupe [MQTT-3.3.5-1] [MQTT-3.8.4-6] [MQTT-3.3.1-3]');
    }
    // [MQTT-3.10.3-2] "The Payload of an UNSUBSCRIBE packet MUST contain at least one Topic Filter.
    // An UNSUBSCRIBE packet with no payload is a protocol violation": Aedes answered it with an
    // UNSUBACK; a protocol violation closes the connection (section 4.8)
    // [MQTT-3.8.4-5] "The SUBACK Packet sent by the Server to the Client MUST contain a return code
    // for each Topic Filter/QoS pair" and [MQTT-3.8.4-4] (handled "as if it had received a sequence
    // of multiple SUBSCRIBE packets"): Aedes keeps one of the pairs that name the same filter and
    // answered with one code for them all, so the codes no longer lined up with the filters
    if (!beforeHandling(client, (packet) => this.inspect(client, packet))) missing.push('empty UNSUBSCRIBE, SUBACK codes');
    return missing;
  }

  /**
   * Aedes's preConnect hook (its error closes the connection without a CONNACK): [MQTT-3.1.4-1]
   * "The Server MUST validate that the CONNECT Packet conforms to section 3.1 and close the Network
   * Connection without sending a CONNACK if it does not conform". mqtt-packet refuses most
   * violations itself; these two it lets through.
   */
  preConnect(client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void {
    // [MQTT-3.1.2-14] "If the Will Flag is set to 1, the value of Will QoS can be 0, 1, or 2. It MUST NOT be 3"
    if (packet.will && (packet.will.qos as number) > 2) return done(new Error('CONNECT: Will QoS 3'), false);
    // [MQTT-3.1.2-22] "If the User Name Flag is set to 0, the Password Flag MUST be set to 0"
    if (packet.password !== undefined && packet.username === undefined)
      return done(new Error('CONNECT: a password without a user name'), false);
    // [MQTT-3.1.2-18] [MQTT-3.1.2-20] "If the User Name (Password) Flag is set to 0, a user name
    // (password) MUST NOT be present in the payload": mqtt-packet reads the fields the flags announce
    // and ignores any bytes after them, so a CONNECT with unannounced fields passed as one without.
    // Its fields must fill it exactly. (A string that was ill-formed UTF-8 comes out longer once
    // decoded, so it fails here too, as [MQTT-1.5.3-1] wants.)
    const length = (packet as { length?: number }).length;
    if (packet.protocolVersion !== 5 && length !== undefined && connectLength(packet) !== length) {
      return done(new Error('CONNECT: its fields do not fill it'), false);
    }
    // [MQTT-3.1.3-8] "If the Client supplies a zero-byte ClientId with CleanSession set to 0, the
    // Server MUST respond to the CONNECT Packet with a CONNACK return code 0x02 (Identifier
    // rejected) and then close the Network Connection": Aedes gave it a generated id and a session
    if (packet.clientId === '' && packet.clean === false) {
      this.refusals.set(client, { returnCode: 2, reason: 'an empty client id needs a clean session' });
    }
    done(null, true);
  }

  /** The CONNACK refusal a CONNECT of this client has earned before its credentials are looked at, or null. */
  refusal(client: Client): ConnectRefusal | null {
    return this.refusals.get(client) ?? null;
  }

  private unsupportedLevel(client: Client, err: Error, cmd: string | undefined): boolean {
    if (cmd !== 'connect' || err.message !== UNSUPPORTED_LEVEL) return false;
    this.log.info('connection refused: unsupported MQTT protocol level', { remote: remoteOf(client) });
    client.conn.write(CONNACK_UNSUPPORTED_LEVEL);
    // a close without an error sends what is written first (socketWrites.ts, tcpStream.ts)
    client.close();
    return true;
  }

  private inspect(client: Client, packet: object): void {
    const p = packet as { cmd?: string; unsubscriptions?: unknown[]; messageId?: number; subscriptions?: { topic: string; qos: number }[] };
    if (p.cmd === 'unsubscribe' && (!Array.isArray(p.unsubscriptions) || p.unsubscriptions.length === 0)) refusePacket(packet);
    if (p.cmd === 'subscribe' && p.messageId !== undefined && Array.isArray(p.subscriptions)) {
      const topics = p.subscriptions.map((x) => x.topic);
      if (new Set(topics).size === topics.length) return;
      // Aedes writes no SUBACK for a SUBSCRIBE without an identifier (lib/handlers/subscribe.js
      // completeSubscribe); answerSubscribe writes the complete one once Aedes has granted them
      let pending = this.subacks.get(client);
      if (!pending) this.subacks.set(client, (pending = []));
      pending.push({
        messageId: p.messageId,
        asked: p.subscriptions.map((x) => ({ topic: x.topic, qos: x.qos })),
        distinct: [...new Set(topics)],
      });
      delete p.messageId;
    }
  }

  /** Aedes's 'subscribe' event (granted QoS per distinct filter): the SUBACK of a SUBSCRIBE that named a filter twice. */
  private answerSubscribe(subs: { topic: string; qos: number }[], client: Client): void {
    const pending = this.subacks.get(client);
    const i = pending?.findIndex((x) => x.distinct.length === subs.length && x.distinct.every((t, k) => subs[k]?.topic === t)) ?? -1;
    if (!pending || i < 0) return;
    const [{ messageId, asked }] = pending.splice(i, 1) as [PendingSuback];
    if (pending.length === 0) this.subacks.delete(client);
    const granted = new Map(subs.map((x) => [x.topic, x.qos]));
    // each pair as if it came alone: refused like its filter, or granted the QoS it asked for
    const codes = asked.map((x) => (granted.get(x.topic) === 0x80 ? 0x80 : x.qos));
    const body = Buffer.alloc(2 + codes.length);
    body.writeUInt16BE(messageId);
    codes.forEach((c, k) => body.writeUInt8(c, 2 + k));
    client.conn.write(Buffer.concat([Buffer.from([0x90]), remainingLength(body.length), body]));
  }

  /** The highest QoS this client's subscriptions (shared ones aside) grant for a topic; undefined when none matches. */
  private maxGrantedQos(client: Client, topic: string): number | undefined {
    let cache = this.grantedQos.get(client);
    if (!cache) this.grantedQos.set(client, (cache = new Map<string, number | undefined>()));
    if (cache.has(topic)) return cache.get(topic);
    let max: number | undefined;
    for (const s of subscriptionsOf(client)) {
      if (parseSharedFilter(s.topic) === null && topicMatches(s.topic, topic)) max = Math.max(max ?? 0, s.qos);
    }
    if (cache.size >= QOS_CACHE_MAX) cache.clear();
    cache.set(topic, max);
    return max;
  }
}

/** The remaining length an MQTT 3.1 / 3.1.1 CONNECT with exactly these fields has (section 3.1). */
function connectLength(p: ConnectPacket): number {
  const str = (x: string) => 2 + Buffer.byteLength(x, 'utf8');
  const bin = (x: Buffer | string) => 2 + (typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.length);
  // protocol name, level, connect flags, keep alive
  let n = str(p.protocolId ?? 'MQTT') + 4 + str(p.clientId);
  if (p.will) n += str(p.will.topic) + bin(p.will.payload);
  if (p.username !== undefined) n += str(p.username);
  if (p.password !== undefined) n += bin(p.password);
  return n;
}

function remoteOf(client: Client): string | null {
  return (client.conn as { remoteAddress?: string }).remoteAddress ?? null;
}

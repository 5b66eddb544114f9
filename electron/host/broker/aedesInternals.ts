import type { Aedes, Client, PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { Readable } from 'node:stream';

/**
 * Aedes's own hard cap on topic levels (it rejects deeper topics before its matcher, which would
 * throw: aedes.js MAX_TOPIC_LEVELS), so the broker.max_topic_levels setting cannot go above it.
 */
export const TOPIC_LEVELS_CAP = 100;

/**
 * Every place the broker reaches past Aedes's documented API (its README, docs/Aedes.md and
 * types/*.d.ts) lives in this file and nowhere else: private fields, undocumented packet fields,
 * and the two patches (the publish drop filter and the packet size guard).
 *
 * Checked against the versions below. aedesInternals.test.ts fails when another version is
 * installed, listing RELIANCES to re-check, and probes each one on a real Aedes so that a moved
 * internal fails by name rather than as a quiet loss of a limit.
 */
export const CHECKED_VERSIONS = {
  aedes: '1.2.0',
  // the packet parser Aedes puts on every client (guardPacketSize patches it)
  'mqtt-packet': '9.0.2',
  // the in-memory persistence Aedes creates by default (sessionStore uses it)
  'aedes-persistence': '11.0.0',
} as const;

/** What each accessor below assumes, and where in the library source to look when it breaks. */
export const RELIANCES = {
  clients: 'broker.clients is an object of the connected clients by id (aedes.js registerClient / deleteClient)',
  subscriptions:
    "client.subscriptions is an object whose keys are the client's filters and whose values carry the granted qos (lib/client.js, lib/handlers/subscribe.js)",
  publisherId: "a routed packet carries its publisher's id as packet.clientId (aedes.js emitPacket)",
  persistence:
    'broker.persistence is the async persistence with cleanSubscriptions, outgoingStream, outgoingClearMessageId and cleanIncoming (aedes-persistence asyncPersistence.js)',
  publishEntry:
    'a client PUBLISH (QoS 0, 1 and 2) and a will reach broker.publish(packet, client, done), looked up on the instance, with the very packet object authorizePublish saw (lib/handlers/publish.js enqueuePublish, lib/client.js will)',
  counter:
    'broker.counter numbers the packets the broker routes (aedes-packet sets brokerCounter = ++broker.counter); a session store finds a queued packet by (brokerId, brokerCounter) (aedes-persistence outgoingUpdate)',
  messageIds:
    'client._nextId is the next packet identifier Aedes gives an outgoing QoS 1 PUBLISH, 1..65535 then wrapping (lib/qos-packet.js)',
  directDelivery:
    "client.deliver0(packet, cb) / client.deliverQoS(packet, cb) write one routed packet to that client: a packet without brokerId skips the client's dedupe, QoSPacket keeps a preset messageId and brokerCounter, and a non-clean client needs the packet in its session store first (lib/client.js, lib/qos-packet.js)",
  puback: 'a PUBACK removes the packet with its id from the session store (outgoingClearMessageId, lib/handlers/puback.js)',
  handle:
    'a packet whose cmd Aedes does not know makes it close the connection (lib/handlers/index.js: the default branch, and finish() for a client not yet connected)',
  redelivery:
    "on reconnect Aedes writes the session's stored packets as persistence.outgoingStream yields them, copying their dup flag; a stored PUBLISH has a messageId once it was written (lib/handlers/connect.js emptyQueue, lib/qos-packet.js, aedes-persistence outgoingUpdate)",
  delivery:
    'client.deliver0 / client.deliverQoS are per-client properties that each subscription captures when it is made (lib/handlers/subscribe.js addSubs); deliverQoS hands a QoS 0 packet to that.deliver0 (lib/client.js)',
  parser:
    'client._parser is the mqtt-packet Parser, which calls this[state]() per state: _parseLength() sets packet.length from the fixed header before the body is buffered, _emitError(err) fails the client (mqtt-packet parser.js); it emits "packet" for each parsed packet and Aedes handles it from its own listener (lib/client.js enqueue)',
  dedupe:
    'client.duplicates[brokerId] is the highest brokerCounter delivered to the client, and its deliver0 / deliverQoS skip (and for a non-clean client take out of its session) a packet with a brokerId whose brokerCounter is not above it, checked synchronously as they are called; a packet without brokerId is never skipped (lib/client.js dedupe, getToForwardPacket)',
  numberCache:
    "mqtt-packet's writeToStream (which Aedes writes every packet with, lib/write.js) fills a cache of 65,536 two-byte Buffers, one per packet identifier, on its first write unless writeToStream.cacheNumbers was set false first (writeToStream.js, numbers.js)",
} as const;

interface AedesInside {
  clients: Record<string, Client | undefined>;
  persistence: SessionStore;
  counter: number;
}

/** What a routed packet carries inside Aedes besides the PUBLISH fields (aedes-packet). */
interface RoutedPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: false;
  dup: boolean;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  clientId?: string;
}

interface ClientInside {
  duplicates: Record<string, number | undefined>;
  subscriptions: Record<string, { qos?: number } | undefined>;
  _nextId: number;
  _parser?: ParserInside;
  deliver0: Deliver;
  deliverQoS: Deliver;
}

/** How Aedes writes one routed packet to one client (lib/client.js). */
type Deliver = (packet: RoutedPacket, cb: () => void) => void;

interface ParserInside {
  packet: { length: number; cmd?: string };
  error: Error | null;
  _parseLength: () => boolean;
  _emitError: (err: Error) => void;
  prependListener: (event: 'packet', listener: (packet: object) => void) => void;
}

const inside = (broker: Aedes) => broker as unknown as AedesInside;
const clientInside = (client: Client) => client as unknown as ClientInside;

// ---------------------------------------------------------------------------------------------
// reading: RELIANCES.clients, .subscriptions, .publisherId, .persistence

/** The connected client with this id (Aedes has no public lookup). */
export function clientById(broker: Aedes, id: string): Client | undefined {
  return inside(broker).clients[id];
}

/** Every connected client. */
export function connectedClientList(broker: Aedes): Client[] {
  return Object.values(inside(broker).clients).filter((c): c is Client => c !== undefined);
}

export function subscriptionCount(client: Client): number {
  return Object.keys(clientInside(client).subscriptions).length;
}

export function hasSubscription(client: Client, filter: string): boolean {
  return filter in clientInside(client).subscriptions;
}

/** The QoS granted to one of the client's filters, undefined when it has no such subscription. */
export function subscriptionQos(client: Client, filter: string): number | undefined {
  return clientInside(client).subscriptions[filter]?.qos;
}

/** The client's filters and their granted QoS (also those restored from its persistent session). */
export function subscriptionsOf(client: Client): { topic: string; qos: number }[] {
  return Object.entries(clientInside(client).subscriptions).map(([topic, s]) => ({ topic, qos: s?.qos ?? 0 }));
}

/** The id of the client that published a routed packet (undefined for the broker's own). */
export function publisherIdOf(packet: object): string | undefined {
  return (packet as { clientId?: string }).clientId;
}

export type ClientRef = { id: string };

/** The part of Aedes's persistence interface used here (aedes-persistence types/asyncPersistence.d.ts). */
export interface SessionStore {
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingStream(client: ClientRef): AsyncIterable<unknown>;
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: object): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: unknown): Promise<unknown>;
  cleanIncoming?(client: ClientRef): Promise<void>;
}

/** The persistence Aedes itself stores sessions in (the option is documented, the property is not). */
export function sessionStore(broker: Aedes): SessionStore {
  return inside(broker).persistence;
}

// ---------------------------------------------------------------------------------------------
// patching: RELIANCES.publishEntry, .parser

/**
 * MQTT 3.1.1 gives a server two ways to refuse a PUBLISH: close the connection or acknowledge it
 * normally and drop it [MQTT-3.3.5-2]. Aedes only implements the first (authorizePublish's
 * cb(err) closes the client; moscajs/aedes#210). For the second, authorizePublish marks the packet
 * with drop() and lets Aedes acknowledge it; the filter installed on the broker's publish entry
 * point swallows marked packets before anything is stored (retained) or routed.
 */
export class PublishDropFilter {
  private readonly dropped = new WeakSet<object>();

  drop(packet: object): void {
    this.dropped.add(packet);
  }

  /** Shadow the prototype's publish with an instance property, for exactly this broker. */
  install(broker: Aedes): void {
    const dropped = this.dropped;
    const publish = broker.publish.bind(broker) as (packet: PublishPacket, client: unknown, done?: (err?: Error) => void) => void;
    (broker as unknown as { publish: unknown }).publish = function filteredPublish(
      packet: PublishPacket,
      client: unknown,
      done?: (err?: Error) => void,
    ) {
      if (typeof client === 'function') {
        done = client as (err?: Error) => void;
        client = null;
      }
      if (dropped.has(packet)) {
        dropped.delete(packet);
        if (done) done();
        return;
      }
      publish(packet, client, done);
    };
  }
}

/**
 * Let `look` see (and amend) each packet a client sends before Aedes handles it: a listener put ahead
 * of Aedes's own on the client's parser. Returns false (nothing installed) when the parser is not what
 * RELIANCES.parser says.
 */
export function beforeHandling(client: Client, look: (packet: object) => void): boolean {
  const parser = clientInside(client)._parser;
  if (!parser || typeof parser.prependListener !== 'function') return false;
  parser.prependListener('packet', look);
  return true;
}

/** The message a client gets before the size guard closes it (the broker's clientError handler matches it). */
export const PACKET_TOO_LARGE = 'packet too large';

/**
 * Aedes/mqtt-packet buffer a whole packet before parsing it and have no size limit for MQTT 3.1.1
 * (mqtt-packet parser.js: _parseLength -> _parsePayload waits for `length` bytes), so a client
 * could make the broker buffer up to 256 MB. This checks the MQTT "remaining length" as soon as the
 * fixed header is parsed and fails the parser: Aedes then closes only that client. Returns false
 * (nothing patched) when the parser is not what RELIANCES.parser says.
 */
export function guardPacketSize(client: Client, limitBytes: number): boolean {
  const parser = clientInside(client)._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') return false;
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedParseLength(this: ParserInside): boolean {
    const ok = parseLength.call(this);
    if (ok && this.packet.length > limitBytes) {
      this._emitError(new Error(`${PACKET_TOO_LARGE}: ${this.packet.length} bytes, limit ${limitBytes}`));
      return false;
    }
    return ok;
  };
  return true;
}

// ---------------------------------------------------------------------------------------------
// delivering to one client: RELIANCES.counter, .messageIds, .directDelivery, .puback, .persistence

/** A message the broker hands to one chosen client itself, outside Aedes's own subscriptions. */
export interface DirectMessage {
  topic: string;
  payload: Buffer;
  /** at most 1: the caller has already applied the subscription's granted QoS */
  qos: 0 | 1;
  /** the publishing client's id, as Aedes keeps it on routed packets */
  publisherId?: string;
}

/** A QoS 1 message written to one client by deliverDirect, until it is acknowledged or taken back. */
export class DirectDelivery {
  /** written to the client (before that: still being put in its session) */
  sent = false;
  /** taken back before it was written: it never will be */
  taken = false;

  constructor(
    readonly messageId: number,
    readonly counter: number,
    /** kept in the client's persistent session until acknowledged */
    readonly inSession: boolean,
  ) {}
}

const noop = () => undefined;

/** The next packet identifier of this connection, taken the way Aedes takes its own (lib/qos-packet.js). */
function nextMessageId(client: Client): number {
  const c = clientInside(client);
  const id = c._nextId;
  c._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}

/**
 * Write one message to one client as Aedes writes a routed one. A QoS 1 message gets a fresh packet
 * identifier from the client's own sequence (its PUBACK carries it back: the caller watches for it
 * with beforeHandling) and a fresh broker counter. It goes out without a brokerId: Aedes's per-client
 * dedupe (lib/client.js dedupe) compares broker counters, and this counter, newer than that of a
 * message Aedes has matched but not yet routed to the same client, would make it drop that one.
 * For a persistent (clean:false) session Aedes writes a QoS 1 message only once it is in the session
 * store (lib/client.js deliverQoS: outgoingUpdate), where it stays until the PUBACK or takeBack().
 * The client must be ready (Aedes's 'clientReady'): until then Aedes is still sending its session's
 * queue, and for a clean session it discards what it finds there (lib/handlers/connect.js emptyQueue).
 * `onError`: the session store failed (the message was not written).
 */
export function deliverDirect(broker: Aedes, client: Client, msg: DirectMessage, onError: (err: Error) => void): DirectDelivery | null {
  // Aedes's own delivery, not a wrapper of wrapDelivery: the caller has chosen the QoS
  const c = unwrapped.get(client) ?? clientInside(client);
  const packet: RoutedPacket = { cmd: 'publish', topic: msg.topic, payload: msg.payload, qos: msg.qos, retain: false, dup: false };
  if (msg.publisherId !== undefined) packet.clientId = msg.publisherId;
  if (msg.qos === 0) {
    c.deliver0(packet, noop);
    return null;
  }
  const d = new DirectDelivery(nextMessageId(client), ++inside(broker).counter, !client.clean);
  const out: RoutedPacket = { ...packet, brokerCounter: d.counter, messageId: d.messageId };
  if (!d.inSession) {
    d.sent = true;
    c.deliverQoS(out, noop);
    return d;
  }
  const stored: RoutedPacket = { ...packet, brokerId: broker.id, brokerCounter: d.counter };
  const store = sessionStore(broker);
  store
    .outgoingEnqueue({ clientId: client.id }, stored)
    // the store copies the packet without its identifier; this finds it by (brokerId, brokerCounter)
    .then(() => store.outgoingUpdate(client, { ...stored, messageId: d.messageId }))
    .then(async () => {
      if (d.taken) {
        await store.outgoingClearMessageId(client, { messageId: d.messageId });
        return;
      }
      d.sent = true;
      c.deliverQoS(out, noop);
    })
    .catch((e: unknown) => {
      d.taken = true;
      onError(e instanceof Error ? e : new Error(String(e)));
    });
  return d;
}

/**
 * Take back a QoS 1 delivery whose client is gone, so that it is never sent again in that client's
 * session: true when it was still unacknowledged as far as the session store knows (a clean
 * session keeps nothing: the caller has seen its PUBACKs), false when the client had acknowledged it.
 */
export async function takeBack(broker: Aedes, client: ClientRef, d: DirectDelivery): Promise<boolean> {
  if (!d.sent) {
    d.taken = true;
    return true;
  }
  if (!d.inSession) return true;
  const removed = (await sessionStore(broker).outgoingClearMessageId(client, { messageId: d.messageId })) as
    { brokerCounter?: number } | undefined;
  return removed !== undefined && removed.brokerCounter === d.counter;
}

// ---------------------------------------------------------------------------------------------
// protocol fixes (protocolFixes.ts says which statement each serves): RELIANCES.parser, .handle,
// .redelivery, .delivery, .dedupe

/**
 * Let `handle` take over a parser error of this client: when it returns true the error is not
 * passed on (Aedes would close the connection at once, writing nothing) and the parser stops.
 * Returns false (nothing patched) when the parser is not what RELIANCES.parser says.
 */
export function onParserError(client: Client, handle: (err: Error, cmd: string | undefined) => boolean): boolean {
  const parser = clientInside(client)._parser;
  if (!parser || typeof parser._emitError !== 'function') return false;
  const emitError = parser._emitError;
  parser._emitError = function handledEmitError(this: ParserInside, err: Error): void {
    if (handle(err, this.packet.cmd)) {
      this.error = err;
      return;
    }
    emitError.call(this, err);
  };
  return true;
}

/** Make Aedes refuse a packet it is about to handle: it closes the connection, as for any packet it does not know. */
export function refusePacket(packet: object): void {
  (packet as { cmd: string }).cmd = 'refused';
}

/**
 * Have every stored PUBLISH come out of the session store with dup set exactly when it was written
 * before (the store kept the publisher's own flag), so that Aedes's reconnect delivery carries the
 * right one (it copies the flag). Returns false when the persistence is not what
 * RELIANCES.persistence says.
 */
export function markRedeliveries(broker: Aedes): boolean {
  const store = sessionStore(broker) as SessionStore & { outgoingStream: (c: ClientRef) => AsyncIterable<unknown> };
  if (typeof store.outgoingStream !== 'function') return false;
  const outgoingStream = store.outgoingStream.bind(store);
  store.outgoingStream = (client: ClientRef) => Readable.from(marked(outgoingStream(client)));
  return true;
}

async function* marked(packets: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const p of packets) {
    const x = p as { cmd?: string; messageId?: number; dup?: boolean };
    const dup = x.messageId !== undefined;
    yield x.cmd === 'publish' && x.dup !== dup ? { ...x, dup } : p;
  }
}

/** Aedes's own deliver functions of a client whose ones wrapDelivery replaced. */
const unwrapped = new WeakMap<Client, { deliver0: Deliver; deliverQoS: Deliver }>();

/**
 * How many routed packets a client's record of deliveries remembers. The copies of one packet reach
 * a client together: Aedes's emitter calls every matching subscription in one pass (mqemitter's
 * parallel emit), so a handful would do; this leaves room.
 */
const DELIVERIES_REMEMBERED = 64;

/** The last DELIVERIES_REMEMBERED routed packets (by brokerId and brokerCounter) one client was handed. */
class RecentDeliveries {
  private readonly ring: (string | undefined)[] = new Array<string | undefined>(DELIVERIES_REMEMBERED);
  private readonly keys = new Set<string>();
  private next = 0;

  /** Record a packet: true when it is new, false when it was handed over before. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    const old = this.ring[this.next];
    if (old !== undefined) this.keys.delete(old);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % DELIVERIES_REMEMBERED;
    this.keys.add(key);
    return true;
  }
}

/**
 * Aedes's per-client dedupe (RELIANCES.dedupe), meant to deliver a packet once however many of the
 * client's subscriptions match it, keeps only the highest broker counter delivered: a packet numbered
 * earlier but routed later is dropped as a duplicate. Aedes numbers a packet when it is published and
 * routes a QoS 1 or 2 one, or a retained one, only once the persistence has answered, so a QoS 0
 * message published just after it overtakes it and it was lost (moscajs/aedes#994). This dedupes by
 * identity instead: a packet this client was handed before is skipped as Aedes skips a duplicate (its
 * callback, its session store), a new one is recorded and let through Aedes's check.
 */
function dedupeByIdentity(client: ClientInside, seen: RecentDeliveries, packet: RoutedPacket): void {
  const id = packet.brokerId;
  const counter = packet.brokerCounter;
  // Aedes does not dedupe a packet without brokerId (a retained message sent on SUBSCRIBE)
  if (!id || typeof counter !== 'number') return;
  client.duplicates[id] = seen.add(`${id} ${counter}`) ? counter - 1 : counter;
}

/**
 * Set the QoS and DUP flag of every message Aedes routes to this client through its subscriptions
 * (a first delivery: DUP 0, whatever the publisher's copy had), and deliver each message once by its
 * identity rather than by the order messages arrive in (dedupeByIdentity). The QoS:
 * `qosFor(topic, qos)` gets a message's QoS and returns the one to deliver it at. Aedes calls one
 * deliver function per matching subscription, and the dedupe keeps the first copy: a copy for a QoS 0
 * subscription is skipped (and not recorded) when the message is to go at QoS 1 or 2 (a subscription
 * of that QoS delivers it), and a copy for a QoS 1 or 2 subscription goes at the chosen QoS. Must run
 * before the client subscribes (RELIANCES.delivery).
 */
export function wrapDelivery(client: Client, qosFor: (topic: string, qos: number) => number): boolean {
  const c = clientInside(client);
  if (typeof c.deliver0 !== 'function' || typeof c.deliverQoS !== 'function' || typeof c.duplicates !== 'object') return false;
  const original = { deliver0: c.deliver0, deliverQoS: c.deliverQoS };
  unwrapped.set(client, original);
  const seen = new RecentDeliveries();
  // each subscription hands its own copy of the packet (lib/handlers/subscribe.js), so it may change
  c.deliver0 = (packet, cb) => {
    if (packet.qos > 0 && qosFor(packet.topic, packet.qos) > 0) return void setImmediate(cb);
    packet.dup = false;
    dedupeByIdentity(c, seen, packet);
    original.deliver0(packet, cb);
  };
  c.deliverQoS = (packet, cb) => {
    if (packet.qos > 0) packet.qos = Math.min(packet.qos, qosFor(packet.topic, packet.qos)) as 0 | 1 | 2;
    packet.dup = false;
    dedupeByIdentity(c, seen, packet);
    // Aedes's deliverQoS hands a QoS 0 packet to the client's deliver0, the wrapper above, which
    // would find it recorded: Aedes's own takes it straight
    if (packet.qos === 0) original.deliver0(packet, cb);
    else original.deliverQoS(packet, cb);
  };
  return true;
}

// ---------------------------------------------------------------------------------------------
// memory: RELIANCES.numberCache

/**
 * Turn off mqtt-packet's packet-identifier cache for this process before the first packet is
 * written: 65,536 Buffer objects are about 6 MiB of heap (measured in a heap snapshot of the idle
 * host), to save a 2-byte allocation per QoS 1 packet. The setting is global to the module, so it
 * covers every Aedes in the process.
 */
export function dropNumberCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}

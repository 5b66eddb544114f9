import type { Aedes, Client, PublishPacket } from 'aedes';

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
  subscriptions: "client.subscriptions is an object whose keys are the client's filters (lib/client.js, lib/handlers/subscribe.js)",
  publisherId: "a routed packet carries its publisher's id as packet.clientId (aedes.js emitPacket)",
  persistence:
    'broker.persistence is the async persistence with cleanSubscriptions, outgoingStream, outgoingClearMessageId and cleanIncoming (aedes-persistence asyncPersistence.js)',
  publishEntry:
    'a client PUBLISH (QoS 0, 1 and 2) and a will reach broker.publish(packet, client, done), looked up on the instance, with the very packet object authorizePublish saw (lib/handlers/publish.js enqueuePublish, lib/client.js will)',
  parser:
    'client._parser is the mqtt-packet Parser, which calls this[state]() per state: _parseLength() sets packet.length from the fixed header before the body is buffered, _emitError(err) fails the client (mqtt-packet parser.js)',
} as const;

interface AedesInside {
  clients: Record<string, Client | undefined>;
  persistence: SessionStore;
}

interface ClientInside {
  subscriptions: Record<string, unknown>;
  _parser?: ParserInside;
}

interface ParserInside {
  packet: { length: number };
  _parseLength: () => boolean;
  _emitError: (err: Error) => void;
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

/** The id of the client that published a routed packet (undefined for the broker's own). */
export function publisherIdOf(packet: object): string | undefined {
  return (packet as { clientId?: string }).clientId;
}

export type ClientRef = { id: string };

/** The part of Aedes's persistence interface used here (aedes-persistence types/asyncPersistence.d.ts). */
export interface SessionStore {
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingStream(client: ClientRef): AsyncIterable<unknown>;
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

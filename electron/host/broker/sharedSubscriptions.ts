import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import type { EventEmitter } from 'node:events';
import { parseSharedFilter } from '../../../services/lib/protocol/sharedSubscription.js';
import {
  clientById,
  deliverDirect,
  publisherIdOf,
  subscriptionQos,
  subscriptionsOf,
  takeBack,
  type DirectDelivery,
  type DirectMessage,
} from './aedesInternals.js';
import { Fifo } from './fifo.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

/**
 * Shared subscriptions in the embedded broker: `$share/<group>/<filter>` (MQTT 5 section 4.8.2,
 * accepted from MQTT 3.1.1 clients as Mosquitto, EMQX and HiveMQ do). Aedes has none
 * (moscajs/aedes#228), so they are built beside it:
 *
 * - Aedes keeps `$share/<group>/<filter>` as an ordinary subscription of the member. No topic a client
 *   may publish matches it (`$` topics are the broker's own: acl.ts), so Aedes itself never delivers
 *   on it, sends no retained message for it (a shared subscription gets none: MQTT 5 section 4.8.2),
 *   and queues nothing for it in an offline session; but it stores it in a persistent (clean:false)
 *   session and restores it on reconnect, which is what membership needs.
 * - This class subscribes once per group to the inner filter and hands each matching message to one
 *   member, round robin, skipping members that are offline or whose window of unacknowledged QoS 1
 *   shared messages is full (aedesInternals.ts deliverDirect; the PUBACK frees the slot).
 * - A member that disconnects with QoS 1 messages unacknowledged loses them to the group: they go to
 *   another member at once (MQTT 5 section 4.8.2 allows sending "to another Client as soon as it
 *   loses its connection to the first Client"), first in line. What the member had acknowledged is
 *   never sent again.
 * - With no member online (or all windows full), QoS 1 messages wait in the group's own queue, in
 *   order, up to `maxQueued` (then the oldest is dropped and counted), and go to the first member that
 *   is (back) online: the group, not one member's session, holds them, because any member may take
 *   them. QoS 0 messages nobody can take now are dropped, as for an offline subscriber. The group ends,
 *   its queue with it, when no session has it any more: the last member unsubscribes, its clean
 *   session ends, or its persistent session expires (offlineSessions.ts).
 * - A shared subscription is granted QoS 1 at most (inspect()): QoS 2 delivery would need the
 *   PUBREC/PUBREL exchange for a message that may move between members.
 * - The ACL judges the filter inside (clientAccess.ts).
 */
export interface SharedSubscriptionsOptions {
  /** QoS 1 shared messages a member may hold unacknowledged before it is skipped */
  inflightWindow: number;
  /** messages a group holds while no member can take them; the oldest goes first when full (0 = none) */
  maxQueued: number;
  log: Logger;
  /** a message dropped because no member could take it and the group's queue was full (or QoS 0) */
  onDropped?: (count: number) => void;
}

interface Member {
  clientId: string;
  qos: 0 | 1;
  /** the member's connection once it is ready (connected, its session's queue sent); null offline */
  ready: Client | null;
}

interface Group {
  key: string;
  name: string;
  filter: string;
  members: Member[];
  /** where the next round robin starts */
  next: number;
  /** QoS 1 messages waiting for a member, oldest first */
  queue: Fifo<DirectMessage>;
  deliver: (packet: AedesPublishPacket, cb: () => void) => void;
}

interface InFlight {
  group: Group;
  message: DirectMessage;
  delivery: DirectDelivery;
}

const DROP_LOG_FIRST = 10;
const DROP_LOG_EVERY = 1000;

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  /** the groups each client id is a member of */
  private readonly memberships = new Map<string, Set<Group>>();
  /** QoS 1 shared messages each connection holds unacknowledged, by packet identifier */
  private readonly inflight = new Map<Client, Map<number, InFlight>>();
  private readonly detach: (() => void)[] = [];
  private dropped = 0;

  constructor(
    private readonly broker: Aedes,
    private readonly opts: SharedSubscriptionsOptions,
  ) {}

  /** Follow the broker's subscriptions, connections and acknowledgements until it closes. */
  start(): void {
    const events: EventEmitter = this.broker;
    const on = <A extends unknown[]>(event: string, listener: (...args: A) => void) => {
      const l = listener as (...args: unknown[]) => void;
      events.on(event, l);
      this.detach.push(() => events.off(event, l));
    };
    on('subscribe', (subs: Subscription[], client: Client) => this.subscribed(subs, client));
    on('unsubscribe', (topics: string[], client: Client) => this.unsubscribed(topics, client));
    on('client', (client: Client) => this.registered(client));
    on('clientReady', (client: Client) => this.ready(client));
    on('clientDisconnect', (client: Client) => this.disconnected(client));
    this.broker.once('closed', () => this.stop());
  }

  stop(): void {
    for (const d of this.detach.splice(0)) d();
    for (const g of [...this.groups.values()]) this.removeGroup(g);
    this.memberships.clear();
    this.inflight.clear();
  }

  /** A persistent session ended without its client (offline expiry): it leaves all its groups. */
  sessionEnded(clientId: string): void {
    for (const g of [...(this.memberships.get(clientId) ?? [])]) this.leave(clientId, g);
  }

  /** For stats and tests: each group with its members (and whether they are online) and queue length. */
  snapshot(): { group: string; filter: string; members: { clientId: string; online: boolean; inflight: number }[]; queued: number }[] {
    return [...this.groups.values()].map((g) => ({
      group: g.name,
      filter: g.filter,
      members: g.members.map((m) => ({
        clientId: m.clientId,
        online: m.ready !== null,
        inflight: m.ready ? (this.inflight.get(m.ready)?.size ?? 0) : 0,
      })),
      queued: g.queue.length,
    }));
  }

  // ------------------------------------------------------------------------------------------
  // membership

  /** A live SUBSCRIBE was granted (Aedes's 'subscribe' event carries the granted QoS, 128 = refused). */
  private subscribed(subs: Subscription[], client: Client): void {
    for (const s of subs) {
      const shared = parseSharedFilter(s.topic);
      if (!shared?.ok || s.qos > 2) continue;
      const member = this.join(client.id, shared.group, shared.filter, s.qos);
      if (client.connected && !client.closed && clientById(this.broker, client.id) === client) member.ready = client;
      this.pump(this.groups.get(groupKey(shared.group, shared.filter))!);
    }
  }

  /**
   * A live UNSUBSCRIBE (or a clean session's close). Messages the member had been sent stay its own
   * until it acknowledges them or disconnects [MQTT-3.10.4-3].
   */
  private unsubscribed(topics: string[], client: Client): void {
    for (const t of topics) {
      const shared = parseSharedFilter(t);
      const g = shared?.ok ? this.groups.get(groupKey(shared.group, shared.filter)) : undefined;
      if (g) this.leave(client.id, g);
    }
  }

  /**
   * A connection was accepted for this client id (before its CONNACK): its session's subscriptions are
   * in place, restored for clean:false, none for clean:true. Membership follows them exactly.
   */
  private registered(client: Client): void {
    const inSession = new Set<string>();
    for (const s of subscriptionsOf(client)) {
      const shared = parseSharedFilter(s.topic);
      if (!shared?.ok) continue;
      inSession.add(groupKey(shared.group, shared.filter));
      this.join(client.id, shared.group, shared.filter, s.qos);
    }
    for (const g of [...(this.memberships.get(client.id) ?? [])]) if (!inSession.has(g.key)) this.leave(client.id, g);
  }

  /** The connection is ready: it has its CONNACK and its session's own queued messages. */
  private ready(client: Client): void {
    if (clientById(this.broker, client.id) !== client) return;
    for (const g of this.memberships.get(client.id) ?? []) {
      const m = g.members.find((x) => x.clientId === client.id);
      if (m) m.ready = client;
      this.pump(g);
    }
  }

  private disconnected(client: Client): void {
    const groups = [...(this.memberships.get(client.id) ?? [])];
    for (const g of groups) {
      const m = g.members.find((x) => x.clientId === client.id);
      if (m?.ready === client) m.ready = null;
    }
    this.reclaim(client);
    // [MQTT-3.1.2-6] a clean session ends with its connection (Aedes has usually said so already
    // with an 'unsubscribe' event; a client taken over by a new connection has not)
    if (client.clean) for (const g of groups) this.leave(client.id, g);
  }

  private join(clientId: string, name: string, filter: string, qos: number): Member {
    const key = groupKey(name, filter);
    let g = this.groups.get(key);
    if (!g) {
      g = this.createGroup(key, name, filter);
      this.groups.set(key, g);
    }
    let m = g.members.find((x) => x.clientId === clientId);
    if (!m) {
      m = { clientId, qos: 0, ready: null };
      g.members.push(m);
    }
    m.qos = qos >= 1 ? 1 : 0;
    let mine = this.memberships.get(clientId);
    if (!mine) this.memberships.set(clientId, (mine = new Set()));
    mine.add(g);
    return m;
  }

  private leave(clientId: string, g: Group): void {
    const i = g.members.findIndex((x) => x.clientId === clientId);
    if (i >= 0) {
      g.members.splice(i, 1);
      if (g.next > i) g.next--;
    }
    const mine = this.memberships.get(clientId);
    mine?.delete(g);
    if (mine?.size === 0) this.memberships.delete(clientId);
    if (g.members.length === 0) this.removeGroup(g);
  }

  private createGroup(key: string, name: string, filter: string): Group {
    // [MQTT-4.7.2-1] a filter starting with a wildcard never matches a $-topic
    const wildcardRoot = filter.startsWith('+') || filter.startsWith('#');
    const g: Group = {
      key,
      name,
      filter,
      members: [],
      next: 0,
      queue: new Fifo<DirectMessage>(),
      deliver: (packet, cb) => {
        if (!(wildcardRoot && packet.topic.startsWith('$')) && this.groups.get(key) === g) this.offer(g, messageOf(packet));
        cb();
      },
    };
    this.broker.subscribe(filter, g.deliver, () => undefined);
    this.opts.log.debug('shared subscription group created', { group: name, filter });
    return g;
  }

  private removeGroup(g: Group): void {
    if (this.groups.get(g.key) !== g) return;
    this.groups.delete(g.key);
    if (!this.broker.closed) this.broker.unsubscribe(g.filter, g.deliver, () => undefined);
    const left = g.queue.clear().length;
    if (left > 0) this.drop(g, left, 'the group ended');
    this.opts.log.debug('shared subscription group ended', { group: g.name, filter: g.filter });
  }

  // ------------------------------------------------------------------------------------------
  // delivery

  private offer(g: Group, msg: DirectMessage): void {
    if (msg.qos === 1 && g.queue.length > 0) {
      this.enqueue(g, msg);
      this.pump(g);
      return;
    }
    const m = this.pick(g, msg.qos);
    if (m) this.send(g, m, msg);
    else if (msg.qos === 1) this.enqueue(g, msg);
    else this.drop(g, 1, 'no member online for a QoS 0 message');
  }

  /** Round robin from where the last one stopped: the next member that can take a message of this QoS now. */
  private pick(g: Group, qos: 0 | 1): Member | null {
    const n = g.members.length;
    for (let k = 0; k < n; k++) {
      const i = (g.next + k) % n;
      const m = g.members[i]!;
      if (!m.ready) continue;
      if (qos === 1 && m.qos === 1 && (this.inflight.get(m.ready)?.size ?? 0) >= this.opts.inflightWindow) continue;
      g.next = (i + 1) % n;
      return m;
    }
    return null;
  }

  private send(g: Group, m: Member, msg: DirectMessage): void {
    const client = m.ready!;
    // [MQTT-3.8.4-6] the minimum of the message's QoS and the granted one; Aedes also downgrades a
    // message to a client's exact-topic subscription of a lower QoS (lib/client.js deliverQoS)
    const exact = subscriptionQos(client, msg.topic);
    const qos = Math.min(msg.qos, m.qos, exact ?? 1) as 0 | 1;
    const out = qos === msg.qos ? msg : { ...msg, qos };
    const d = deliverDirect(this.broker, client, out, (err) => {
      // the session store failed: the message was not written; it goes back to the group
      this.inflight.get(client)?.delete(d!.messageId);
      this.opts.log.warn('shared subscription delivery failed', { group: g.name, clientId: client.id, error: err.message });
      this.requeue(g, [msg]);
    });
    if (!d) return;
    let mine = this.inflight.get(client);
    if (!mine) this.inflight.set(client, (mine = new Map<number, InFlight>()));
    mine.set(d.messageId, { group: g, message: msg, delivery: d });
  }

  /** Hand queued messages to members while any can take one. */
  private pump(g: Group): void {
    while (g.queue.length > 0 && this.groups.get(g.key) === g) {
      const m = this.pick(g, 1);
      if (!m) return;
      this.send(g, m, g.queue.shift()!);
    }
  }

  private enqueue(g: Group, msg: DirectMessage): void {
    if (this.opts.maxQueued <= 0) return this.drop(g, 1, 'no member can take it and queueing is off');
    if (g.queue.length >= this.opts.maxQueued) {
      g.queue.shift();
      this.drop(g, 1, `the group's queue is full (${this.opts.maxQueued})`);
    }
    g.queue.push(msg);
  }

  /** Messages taken back from a member go first, in their order, ahead of what is queued. */
  private requeue(g: Group, msgs: DirectMessage[]): void {
    if (this.groups.get(g.key) !== g) return this.drop(g, msgs.length, 'the group ended');
    g.queue.unshift(msgs);
    // over the limit: the oldest of what was already waiting go, as in enqueue (the taken-back ones
    // were sent before any of them, and stay)
    const over = g.queue.length - Math.max(this.opts.maxQueued, msgs.length);
    if (over > 0) {
      const all = g.queue.clear();
      all.splice(msgs.length, over);
      g.queue.unshift(all);
      this.drop(g, over, `the group's queue is full (${this.opts.maxQueued})`);
    }
    this.pump(g);
  }

  /**
   * A packet as a client sends it, before Aedes handles it (the broker installs this with
   * aedesInternals.ts beforeHandling on every connection):
   * - a PUBACK may acknowledge a shared message: its window slot is free again;
   * - a shared subscription asking for QoS 2 is granted QoS 1, so the SUBACK, the session and the
   *   deliveries agree. (Aedes's authorizeSubscribe may change a subscription's QoS, but its SUBACK
   *   still reports the QoS asked for: lib/handlers/subscribe.js takes `granted` before calling it.)
   */
  inspect(client: Client, packet: object): void {
    const p = packet as { cmd?: unknown; messageId?: unknown; subscriptions?: { topic?: unknown; qos?: unknown }[] };
    if (p.cmd === 'puback' && typeof p.messageId === 'number') this.acked(client, p.messageId);
    else if (p.cmd === 'subscribe' && Array.isArray(p.subscriptions)) {
      for (const s of p.subscriptions) {
        if (typeof s.topic === 'string' && s.qos === 2 && parseSharedFilter(s.topic)?.ok) s.qos = 1;
      }
    }
  }

  private acked(client: Client, messageId: number): void {
    const mine = this.inflight.get(client);
    if (!mine?.delete(messageId)) return;
    if (mine.size === 0) this.inflight.delete(client);
    // a window slot is free: the member's groups may have messages waiting for it
    for (const g of this.memberships.get(client.id) ?? []) this.pump(g);
  }

  /** The connection is gone: what it had not acknowledged goes back to its groups. */
  private reclaim(client: Client): void {
    const mine = this.inflight.get(client);
    if (!mine) return;
    this.inflight.delete(client);
    const entries = [...mine.values()];
    void Promise.all(entries.map((e) => takeBack(this.broker, client, e.delivery).catch(() => true))).then((unacked) => {
      const back = new Map<Group, DirectMessage[]>();
      entries.forEach((e, i) => {
        if (!unacked[i]) return;
        let list = back.get(e.group);
        if (!list) back.set(e.group, (list = []));
        list.push(e.message);
      });
      for (const [g, msgs] of back) {
        this.opts.log.info('shared subscription messages taken back from a disconnected member', {
          group: g.name,
          clientId: client.id,
          messages: msgs.length,
        });
        this.requeue(g, msgs);
      }
    });
  }

  private drop(g: Group, count: number, reason: string): void {
    const before = this.dropped;
    this.dropped += count;
    this.opts.onDropped?.(count);
    // a busy group with nobody to take its messages must not flood the log
    if (before < DROP_LOG_FIRST || Math.floor(this.dropped / DROP_LOG_EVERY) > Math.floor(before / DROP_LOG_EVERY)) {
      this.opts.log.warn('shared subscription message dropped', { group: g.name, filter: g.filter, count, reason, total: this.dropped });
    }
  }
}

function groupKey(name: string, filter: string): string {
  return `${name}\u0000${filter}`;
}

function messageOf(packet: AedesPublishPacket): DirectMessage {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const publisherId = publisherIdOf(packet);
  const msg: DirectMessage = { topic: packet.topic, payload, qos: packet.qos >= 1 ? 1 : 0 };
  if (publisherId !== undefined) msg.publisherId = publisherId;
  return msg;
}

import type { Aedes, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Socket } from 'node:net';
import { SHARED_WINDOW, isHostPart, type AnyPrincipal } from '../../../services/lib/protocol/services.js';
import { parseSharedFilter } from '../../../services/lib/protocol/sharedSubscription.js';
import { topicFilterProblem, topicNameProblem } from '../../../services/lib/protocol/topicNames.js';
import { canPublish, canSubscribe, deviceDiscoveryConfigRefusal } from './acl.js';
import { clientById, hasSubscription, subscriptionCount } from './aedesInternals.js';
import type { BrokerCounters } from './brokerStats.js';
import type { Credentials } from './credentials.js';
import { ClientRateLimiter, type RateLimitOptions } from './rateLimit.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

export interface ClientAccessOptions {
  credentials: Credentials;
  maxClients: number;
  maxPayloadBytes: number;
  maxSubscriptionsPerClient: number;
  /** deepest topic name or filter a client may use */
  maxTopicLevels: number;
  /** per-client PUBLISH rate; null = off */
  rateLimit: RateLimitOptions | null;
  counters: BrokerCounters;
  log: Logger;
  /** the running broker, null while stopped */
  broker: () => Aedes | null;
  /** acknowledge this PUBLISH but neither store nor route it (aedesInternals.ts PublishDropFilter) */
  drop: (packet: object) => void;
  /** a CONNECT already judged unacceptable, with the CONNACK code to answer (protocolFixes.ts) */
  connectRefusal?: (client: Client) => { returnCode: 2 | 3 | 4 | 5; reason: string } | null;
}

/** The error authorizePublish fails a client with when it is over its rate (Aedes then closes it). */
export const RATE_LIMITED = 'message rate over the limit';

const DENIAL_LOG_FIRST = 10;
const DENIAL_LOG_EVERY = 1000;

/**
 * Who each connection is and what it may do: the authenticate, authorizePublish and
 * authorizeSubscribe hooks of Aedes. Authentication is always on; the rules themselves are acl.ts.
 */
export class ClientAccess {
  private readonly principals = new WeakMap<Client, AnyPrincipal>();
  private readonly denialsLogged = new WeakMap<Client, number>();
  /** one token bucket per connection (rateLimit.ts) */
  private readonly rateLimiter: ClientRateLimiter<Client> | null;

  constructor(private readonly opts: ClientAccessOptions) {
    this.rateLimiter = opts.rateLimit ? new ClientRateLimiter<Client>(opts.rateLimit) : null;
  }

  /** The principal a connected client authenticated as. */
  principalOf(client: Client): AnyPrincipal | undefined {
    return this.principals.get(client);
  }

  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const o = this.opts;
    const refuse = (returnCode: 2 | 3 | 4 | 5, reason: string) => {
      o.counters.refusedConnects++;
      const remote = (client.conn as Partial<Socket>).remoteAddress ?? null;
      // the username is logged (it names a principal), the password never is
      o.log.warn('connection refused', { clientId: client.id, username: username ?? null, reason, remote });
      const err = new Error(reason) as AuthenticateError;
      // Aedes maps returnCode 2..5 to the CONNACK code: 4 = "bad user name or password"
      // (MQTT 3.1.1 §3.2.2.3), 3 = "server unavailable", 2 = "identifier rejected".
      (err as { returnCode: number }).returnCode = returnCode;
      done(err, null);
    };
    const early = o.connectRefusal?.(client);
    if (early) return refuse(early.returnCode, early.reason);
    const broker = o.broker();
    if (!broker) return refuse(3, 'broker stopping');
    if (broker.connectedClients >= o.maxClients) return refuse(3, `too many clients (limit ${o.maxClients})`);
    const principal = o.credentials.verify(username, password);
    if (!principal) {
      // A window session that ended (signed out, idle, ended from the Health view): its credential
      // was valid and is withdrawn, so "not authorized" (5), which tells the window to ask the host
      // for its session again rather than retry the same password.
      if (o.credentials.wasRevoked(username)) return refuse(5, 'window session ended');
      return refuse(4, username === undefined ? 'anonymous connection' : 'bad user name or password');
    }
    // The host's parts and `window-shared` connect only to the user's own broker: here the parts are
    // in-process and each window has its own session credential, which `window-shared` would outlive.
    if (principal === SHARED_WINDOW || isHostPart(principal)) return refuse(5, `${principal} connects only to an external broker`);
    // [MQTT-3.1.4-2] a new CONNECT with a live client's id takes that session over. Only the same
    // principal may do that: otherwise one service could kick another off the bus.
    const existing = clientById(broker, client.id);
    if (existing && existing !== client) {
      const owner = this.principals.get(existing);
      if (owner !== undefined && owner !== principal) return refuse(2, `client id ${client.id} is in use by another principal`);
    }
    this.principals.set(client, principal);
    done(null, true);
  }

  /**
   * A refused PUBLISH is acknowledged and dropped [MQTT-3.3.5-2] (drop()), so a misbehaving service
   * keeps its connection and its other traffic; only a client over its rate is disconnected.
   */
  authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const o = this.opts;
    const size = packet.payload.length;
    o.counters.msgsIn++;
    o.counters.bytesIn += size;
    const principal = client ? this.principals.get(client) : undefined;
    // A client over its message rate is disconnected and logged; the others keep their own
    // buckets, so one flooding client cannot starve the (single-threaded, shared) broker.
    // done(err) makes Aedes close just this client.
    if (client && this.rateLimiter && !this.rateLimiter.allow(client)) {
      o.counters.rateLimitedDisconnects++;
      o.log.warn('client disconnected: message rate over the limit', {
        clientId: client.id,
        principal: principal ?? null,
        topic: packet.topic,
      });
      return done(new Error(RATE_LIMITED));
    }
    let reason: string | null = null;
    let problem: ReturnType<typeof topicNameProblem> = null;
    if (!client || !principal) reason = 'no authenticated client';
    else if (size > o.maxPayloadBytes) reason = `payload ${size} bytes over limit ${o.maxPayloadBytes}`;
    else if ((problem = topicNameProblem(packet.topic, o.maxTopicLevels))) reason = `invalid topic: ${problem.message}`;
    else if (!canPublish(principal, packet.topic)) reason = 'not allowed by ACL';
    else if (principal.startsWith('device:')) {
      // an external device's discovery config may only name its own topics (acl.ts)
      const body = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      reason = deviceDiscoveryConfigRefusal(principal, packet.topic, body);
    }
    if (reason !== null) {
      o.drop(packet);
      o.counters.deniedPublish++;
      this.logDenial(client, principal, 'publish denied (dropped)', {
        topic: packet.topic,
        qos: packet.qos,
        retain: packet.retain,
        reason,
      });
    }
    done(null);
  }

  /**
   * A shared subscription (`$share/<group>/<filter>`, sharedSubscriptions.ts) is checked as its inner
   * filter: `$share/g/alicia/voice/stt/request` is allowed exactly when `alicia/voice/stt/request` is;
   * an invalid share name is refused like any refused filter.
   */
  authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const o = this.opts;
    const principal = this.principals.get(client);
    const shared = parseSharedFilter(sub.topic);
    const filter = shared?.ok ? shared.filter : sub.topic;
    let reason: string | null = null;
    let problem: ReturnType<typeof topicFilterProblem> = null;
    if (!principal) reason = 'no authenticated client';
    else if (shared && !shared.ok) reason = `invalid shared subscription: ${shared.reason}`;
    else if ((problem = topicFilterProblem(filter, o.maxTopicLevels))) reason = `invalid filter: ${problem.message}`;
    else if (!canSubscribe(principal, filter)) reason = 'not allowed by ACL';
    else if (!hasSubscription(client, sub.topic) && subscriptionCount(client) >= o.maxSubscriptionsPerClient) {
      reason = `subscription limit ${o.maxSubscriptionsPerClient} reached`;
    }
    if (reason !== null) {
      o.counters.deniedSubscribe++;
      this.logDenial(client, principal, 'subscribe denied', { filter: sub.topic, reason });
      // null subscription -> SUBACK return code 0x80 for this filter (Aedes subscribe.js storeSubscriptions)
      return done(null, null);
    }
    done(null, sub);
  }

  private logDenial(client: Client | null, principal: AnyPrincipal | undefined, msg: string, fields: Record<string, unknown>): void {
    let n = 1;
    if (client) {
      n = (this.denialsLogged.get(client) ?? 0) + 1;
      this.denialsLogged.set(client, n);
    }
    // a client looping on a denied topic must not flood the log
    if (n <= DENIAL_LOG_FIRST || n % DENIAL_LOG_EVERY === 0) {
      this.opts.log.warn(msg, { clientId: client?.id ?? null, principal: principal ?? null, denials: n, ...fields });
    }
  }
}

import type { Aedes } from 'aedes';
import type { z } from 'zod';
import type { brokerStatsSchema } from '../../../services/lib/protocol/system.js';
import type { TopicPattern } from '../../../services/lib/protocol/topics.js';
import { connectedClientList, subscriptionCount } from './aedesInternals.js';

export const STATS_TOPIC = '$SYS/alicia/broker/stats' satisfies TopicPattern;

export type BrokerStats = z.infer<typeof brokerStatsSchema>;
/** What stats() returns: the published body plus counters the window does not show. */
export type BrokerStatsSnapshot = BrokerStats & {
  refused_connections: number;
  oversize_disconnects: number;
  rate_limited_disconnects: number;
  /** messages of shared subscriptions no member could take (sharedSubscriptions.ts) */
  shared_dropped: number;
};

/**
 * The broker's counters, bumped on the publish path by the hooks: plain number fields, no
 * per-message allocation. snapshot() turns them into the $SYS/alicia/broker/stats body.
 */
export class BrokerCounters {
  msgsIn = 0;
  bytesIn = 0;
  msgsOut = 0;
  bytesOut = 0;
  deniedPublish = 0;
  deniedSubscribe = 0;
  refusedConnects = 0;
  oversizeDisconnects = 0;
  rateLimitedDisconnects = 0;
  sharedDropped = 0;

  private startedAt = 0;
  private last = { t: 0, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };

  /** The broker is listening: uptime and the first rate window start now. */
  started(now = Date.now()): void {
    this.startedAt = now;
    this.last = { t: now, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };
  }

  /** A snapshot; rates are per second since the previous snapshot. */
  snapshot(broker: Aedes | null, inProcessSubscriptions: number): BrokerStatsSnapshot {
    const now = Date.now();
    const dt = Math.max(1, now - this.last.t) / 1000;
    const rate = (cur: number, prev: number) => Math.round(((cur - prev) / dt) * 10) / 10;
    let subscriptions = inProcessSubscriptions;
    if (broker) for (const c of connectedClientList(broker)) subscriptions += subscriptionCount(c);
    const body = {
      clients: broker ? broker.connectedClients : 0,
      subscriptions,
      messages_in_per_s: rate(this.msgsIn, this.last.msgsIn),
      messages_out_per_s: rate(this.msgsOut, this.last.msgsOut),
      bytes_in_per_s: rate(this.bytesIn, this.last.bytesIn),
      bytes_out_per_s: rate(this.bytesOut, this.last.bytesOut),
      messages_in: this.msgsIn,
      messages_out: this.msgsOut,
      bytes_in: this.bytesIn,
      bytes_out: this.bytesOut,
      denied_publish: this.deniedPublish,
      denied_subscribe: this.deniedSubscribe,
      refused_connections: this.refusedConnects,
      oversize_disconnects: this.oversizeDisconnects,
      rate_limited_disconnects: this.rateLimitedDisconnects,
      shared_dropped: this.sharedDropped,
      uptime_ms: this.startedAt ? now - this.startedAt : 0,
    };
    this.last = { t: now, msgsIn: this.msgsIn, msgsOut: this.msgsOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut };
    return body;
  }
}

import { decode } from '../../services/lib/protocol/decode.js';
import type { TopicPattern } from '../../services/lib/protocol/topics.js';
import type { Logger } from '../../services/lib/runtime/logger.js';
import type { InProcessBus } from '../host/broker/types.js';
import { ServiceNotices } from './serviceNotices.js';
import type { Notice } from './serviceNotices.js';
import type { HealthAggregate, ServiceState } from './tray.js';

const SERVICES_FILTER: TopicPattern = 'alicia/system/services/+';
const HEALTH_TOPIC: TopicPattern = 'alicia/health/status';

export interface ServiceStatusFeedOptions {
  /** subscribed in-process: no network client, no credential */
  bus: Pick<InProcessBus, 'subscribe'>;
  /** the latest process states and health aggregate; coalesced to one call per `coalesceMs` */
  onStatus(states: ReadonlyMap<string, ServiceState>, aggregate: HealthAggregate | null): void;
  /** a failure worth an OS notification (serviceNotices.ts decides which) */
  onNotice(notice: Notice): void;
  log: Logger;
  /** default 250 ms: the tray redraws at most four times a second */
  coalesceMs?: number;
  now?: () => number;
}

/**
 * What the desktop shows about the services outside the window (tray, notifications), read from the
 * bus: each service's process state (supervisor, retained alicia/system/services/<name>) and the
 * health monitor's aggregate (alicia/health/status). Bus listeners run on the broker's publish path,
 * so they only record, decide on a notice and schedule the coalesced status call.
 * start() subscribes, stop() unsubscribes and cancels a pending call; both can run twice.
 */
export class ServiceStatusFeed {
  private readonly states = new Map<string, ServiceState>();
  private aggregate: HealthAggregate | null = null;
  private readonly notices = new ServiceNotices();
  private pending: NodeJS.Timeout | undefined;
  private unsubscribes: (() => Promise<void>)[] = [];
  private started = false;

  constructor(private readonly o: ServiceStatusFeedOptions) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { bus, log } = this.o;
    this.unsubscribes.push(
      await bus.subscribe(SERVICES_FILTER, (packet) => {
        if (packet.payload.length === 0) return;
        try {
          const state = decode('alicia/system/services/+', packet.payload);
          this.states.set(state.service, state);
          const notice = this.notices.observe(state, (this.o.now ?? Date.now)());
          if (notice) this.o.onNotice(notice);
          this.schedule();
        } catch (e) {
          log.warn('bad service state message', { topic: packet.topic, error: String(e) });
        }
      }),
      await bus.subscribe(HEALTH_TOPIC, (packet) => {
        if (packet.payload.length === 0) return;
        try {
          this.aggregate = decode('alicia/health/status', packet.payload);
          this.schedule();
        } catch (e) {
          log.warn('bad health status message', { error: String(e) });
        }
      }),
    );
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.pending);
    this.pending = undefined;
    for (const unsubscribe of this.unsubscribes.splice(0)) await unsubscribe();
  }

  private schedule(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.o.onStatus(this.states, this.aggregate);
    }, this.o.coalesceMs ?? 250);
  }
}

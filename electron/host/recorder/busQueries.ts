import { peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../../services/lib/protocol/errors.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import type { BusPacket, InProcessBus } from '../broker/types.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import type { WriterAnswer, WriterClient } from './writerClient.js';

export const REQUEST_TOPIC = topicFor('alicia/system/recorder/request');
export const RESPONSE_TOPIC = topicFor('alicia/system/recorder/response');

/** Queries waiting on the writer thread beyond this are shed (a flood must not pile up memory). */
const MAX_WAITING = 1000;

export interface BusQueriesOptions {
  bus: InProcessBus;
  writer: WriterClient;
  log: Logger;
  /** the recorder's counters: `queries` counts every request taken on */
  counters: { queries: number };
  /** requests are taken on only while this holds (the recorder is running) */
  running: () => boolean;
  /** hand what is queued to the writer, so the answer sees what came before the request */
  handOver: () => void;
  /** the recorder's stats, for the `stats` query */
  stats: () => Record<string, unknown>;
}

/**
 * The recorder's queries over the bus: requests on alicia/system/recorder/request are answered on
 * the writer thread (queries.ts) and sealed and published here on alicia/system/recorder/response.
 * Never throws across the bus: every failure, the writer thread dying included, is a coded error
 * response carrying the request's correlation id.
 */
export class BusQueries {
  private off: (() => Promise<void>) | null = null;
  private waiting = 0;
  /** responses being answered or published; stop() waits for them */
  private readonly busy = new Set<Promise<void>>();

  constructor(private readonly opts: BusQueriesOptions) {}

  async start(): Promise<void> {
    this.off = await this.opts.bus.subscribe(REQUEST_TOPIC, (p) => this.onRequest(p));
  }

  /** Unsubscribe and let the answers in progress go out. Safe to call twice. */
  async stop(): Promise<void> {
    try {
      await this.off?.();
    } catch (e) {
      // The broker may already be closed; its subscriptions went with it.
      this.opts.log.warn('recorder unsubscribe failed', { error: (e as Error).message });
    }
    this.off = null;
    await Promise.allSettled([...this.busy]);
  }

  private onRequest(p: BusPacket): void {
    // Off the broker's delivery call; and Aedes delivers to subscribers before its `published`
    // hook feeds onPublish, so by the next turn the request itself is queued and the answer
    // (an export of "everything so far") includes it, as it did when queries ran here.
    setImmediate(() => this.handle(p));
  }

  private handle(p: BusPacket): void {
    const { writer, counters } = this.opts;
    if (!this.opts.running()) return;
    if (this.waiting >= MAX_WAITING) {
      this.opts.log.warn('recorder request queue full; request dropped');
      return;
    }
    counters.queries++;
    let answered: Promise<WriterAnswer>;
    if (writer.alive) {
      // The query sees what came before it (unless the writer is far behind: see handOver).
      this.opts.handOver();
      // A copy of just these bytes (the Buffer may be a view into a larger socket chunk).
      const payload = new Uint8Array(p.payload);
      this.waiting++;
      answered = writer.query(payload, this.opts.stats()).finally(() => this.waiting--);
    } else answered = Promise.reject(new AliciaError('INTERNAL', 'recorder writer thread is restarting'));
    const sent = answered
      .catch((e: unknown) => failure(p.payload, e))
      .then(async (r) => {
        try {
          const msg = seal(r.body, { source: 'recorder', correlation_id: r.correlation_id, trace_id: r.trace_id });
          await this.opts.bus.publish(RESPONSE_TOPIC, JSON.stringify(msg), { qos: 1 });
        } catch (e) {
          // The publish failing (broker closing): nothing else to tell.
          this.opts.log.warn('recorder could not publish a response', { error: (e as Error).message });
        }
      });
    this.busy.add(sent);
    void sent.then(() => this.busy.delete(sent));
  }
}

/** The error response to a request the writer thread could not answer, with the request's ids. */
function failure(request: Buffer, e: unknown): WriterAnswer {
  const peek = peekEnvelope(request);
  return {
    body: { ok: false, error: toErrorInfo(e), request_topic: REQUEST_TOPIC },
    correlation_id: peek.correlation_id ?? peek.id,
    trace_id: peek.trace_id,
  };
}

import { decode, peekEnvelope } from '../protocol/decode.js';
import { newId, parseJson } from '../protocol/envelope.js';
import type { Envelope } from '../protocol/envelope.js';
import { AliciaError } from '../protocol/errors.js';
import type { ErrorInfo } from '../protocol/errors.js';
import { TOPICS } from '../protocol/topics.js';
import type { BodyOf, MessageOf, ReplyTopicOf, RequestTopic, TopicDef, TopicPattern } from '../protocol/topics.js';
import { retry } from './backoff.js';
import { CircuitBreaker } from './circuitBreaker.js';
import type { BreakerOptions, BreakerState } from './circuitBreaker.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { PublishOptions } from './sealMessage.js';
import type { MessageHandler } from './subscriptions.js';

export interface RequestOptions {
  timeoutMs?: number;
  trace_id?: string;
  session_id?: string;
  /** retries after a TIMEOUT, with exponential backoff (default 0: requests are not assumed idempotent) */
  retries?: number;
}

/** What the requester needs of its service. */
export interface RequesterHost {
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  publish<P extends TopicPattern>(pattern: P, body: BodyOf<P>, opts: PublishOptions): Promise<void>;
  /** subscribe a raw handler on the broker (resolves once subscribed) */
  listen(filter: string, fn: MessageHandler, qos: 0 | 1): Promise<void>;
}

interface Pending {
  resolve: (msg: unknown) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The asking side of request/response: a correlation id per request, the replies that answer them,
 * one circuit breaker per downstream request topic, and retries after a timeout when asked for.
 * MQTT 3.1.1 has no correlation data, so the id rides in the payload and every reply topic is
 * subscribed once and filtered by it.
 */
export class Requester {
  private readonly pending = new Map<string, Pending>();
  private readonly replySubscriptions = new Map<string, Promise<void>>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly host: RequesterHost,
    private readonly breakerOptions: BreakerOptions = {},
  ) {}

  /** The circuit breaker guarding one downstream request topic. */
  breaker(pattern: string): CircuitBreaker {
    let b = this.breakers.get(pattern);
    if (!b) {
      b = new CircuitBreaker(pattern, {
        // only infrastructure failures open the circuit; a coded answer means the downstream is alive
        isFailure: (e) => e instanceof AliciaError && (e.code === 'TIMEOUT' || e.code === 'NOT_CONNECTED'),
        ...this.breakerOptions,
        onStateChange: (s: BreakerState) => this.host.log.warn('circuit breaker', { downstream: pattern, state: s }),
      });
      this.breakers.set(pattern, b);
    }
    return b;
  }

  /** State of every breaker made so far, for the metrics. */
  breakerStates(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [k, b] of this.breakers) out[k] = b.state;
    return out;
  }

  /**
   * Send a request and await its correlated reply. Rejects with AliciaError: TIMEOUT,
   * CIRCUIT_OPEN (the downstream failed repeatedly), NOT_CONNECTED, or the downstream's own code.
   */
  async request<P extends RequestTopic>(pattern: P, body: BodyOf<P>, opts: RequestOptions = {}): Promise<MessageOf<ReplyTopicOf<P>>> {
    const def: TopicDef = TOPICS[pattern];
    const replyPattern = def.reply as TopicPattern;
    const errorPattern = def.error as TopicPattern;
    await this.ensureReplySubscription(replyPattern);
    if (errorPattern !== replyPattern) await this.ensureReplySubscription(errorPattern);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const trace_id = opts.trace_id ?? newId();
    const once = () =>
      this.breaker(pattern).exec(
        () =>
          new Promise<MessageOf<ReplyTopicOf<P>>>((resolve, reject) => {
            const correlation_id = newId();
            const timer = setTimeout(() => {
              this.pending.delete(correlation_id);
              reject(new AliciaError('TIMEOUT', `no answer on ${replyPattern} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.pending.set(correlation_id, { resolve: resolve as (m: unknown) => void, reject, timer });
            const deadline = Date.now() + timeoutMs;
            this.host.publish(pattern, body, { correlation_id, trace_id, session_id: opts.session_id, deadline }).catch((e: unknown) => {
              clearTimeout(timer);
              this.pending.delete(correlation_id);
              reject(e instanceof Error ? e : new Error(String(e)));
            });
          }),
      );
    if (!opts.retries) return once();
    return retry(() => once(), {
      retries: opts.retries,
      shouldRetry: (e) => e instanceof AliciaError && e.code === 'TIMEOUT',
      initialMs: 100,
      maxMs: 2_000,
    });
  }

  /** Fail every request still waiting (the service is stopping). */
  rejectAll(reason: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(id);
    }
  }

  private ensureReplySubscription(pattern: TopicPattern): Promise<void> {
    let p = this.replySubscriptions.get(pattern);
    if (!p) {
      p = this.host.listen(pattern, (_topic, payload) => this.onReply(pattern, payload), 1);
      this.replySubscriptions.set(pattern, p);
    }
    return p;
  }

  private onReply(pattern: TopicPattern, payload: Buffer): void {
    const ids = peekEnvelope(payload);
    const pending = ids.correlation_id ? this.pending.get(ids.correlation_id) : undefined;
    if (!pending || !ids.correlation_id) return; // someone else's reply
    this.pending.delete(ids.correlation_id);
    clearTimeout(pending.timer);
    this.host.metrics.countIn(pattern);
    let msg: Envelope & Record<string, unknown>;
    try {
      msg = decode(pattern, payload);
    } catch (e) {
      // an error reply may not match the reply schema of shared reply/error topics
      const raw = safeParse(payload);
      if (raw && raw.ok === false && isErrorInfo(raw.error)) {
        pending.reject(new AliciaError(raw.error.code, raw.error.message, raw.error.details));
        return;
      }
      this.host.metrics.countError(pattern);
      pending.reject(e);
      return;
    }
    if (msg.ok === false && isErrorInfo(msg.error)) {
      pending.reject(Object.assign(new AliciaError(msg.error.code as never, msg.error.message, msg.error.details), { reply: msg }));
    } else pending.resolve(msg);
  }
}

function safeParse(payload: Buffer): Record<string, unknown> | null {
  try {
    return parseJson(payload);
  } catch {
    return null;
  }
}

function isErrorInfo(e: unknown): e is ErrorInfo {
  return typeof e === 'object' && e !== null && typeof (e as ErrorInfo).code === 'string' && typeof (e as ErrorInfo).message === 'string';
}

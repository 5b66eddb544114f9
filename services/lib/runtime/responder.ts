import type { IPublishPacket } from 'mqtt';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { decode, peekEnvelope } from '../protocol/decode.js';
import { parseJson } from '../protocol/envelope.js';
import { toErrorInfo } from '../protocol/errors.js';
import type { ErrorInfo } from '../protocol/errors.js';
import { TOPICS } from '../protocol/topics.js';
import type { BodyOf, MessageOf, ReplyTopicOf, RequestTopic, TopicDef, TopicPattern } from '../protocol/topics.js';
import { HandledRequests } from './handledRequests.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { MessageHandler } from './subscriptions.js';

export interface HandleOptions {
  /** shape the error body for this request topic (voice router: a full voice result); its fields win, `error` included */
  errorBody?: (error: ErrorInfo, raw: Record<string, unknown> | null) => Record<string, unknown>;
  /** requests older than this (by envelope ts) are dropped, e.g. queued while the service was down (default 30 s) */
  maxAgeMs?: number;
}

export interface HandlerContext {
  topic: string;
}

export type RequestHandler<P extends RequestTopic> = (
  msg: MessageOf<P>,
  ctx: HandlerContext,
) => Promise<BodyOf<ReplyTopicOf<P>>> | BodyOf<ReplyTopicOf<P>>;

/** The ids a reply echoes. */
export interface ReplyIds {
  correlation_id?: string;
  trace_id?: string;
  session_id?: string;
}

/** What the responder needs of its service. */
export interface ResponderHost {
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  /** seal, check and publish a reply; its PUBLISH is written synchronously (before the request's PUBACK) */
  reply(pattern: TopicPattern, body: object, ids: ReplyIds): Promise<void>;
  /** hold the request's PUBACK until `until` settles */
  holdAck(packet: IPublishPacket, until: Promise<unknown>): void;
  /** the connection's socket, to learn when a reply has left the process */
  stream(): Partial<Socket> | undefined;
}

/** Request ids remembered in memory to drop redeliveries (QoS 1 is at-least-once). */
const RECENT_IDS = 10_000;
/** Default of HandleOptions.maxAgeMs. */
const MAX_AGE_MS = 30_000;
/** written after a reply to learn when it has left the process (persistAfterFlush) */
const EMPTY = Buffer.alloc(0);

/**
 * The answering side of request/response: validates each request, answers every failure with a
 * coded error on the topic's error topic (a handler never throws across the bus), acts once on a
 * redelivered request, drops requests whose requester has given up, and remembers answered ids on
 * file so a restarted process does not answer twice.
 */
export class Responder {
  private readonly recent = new Set<string>();
  /** answered request ids; on file once persistIn() named the data dir (no second answer after a kill -9) */
  private handled = new HandledRequests(null);

  constructor(private readonly host: ResponderHost) {}

  /** Keep answered ids in `<dataDir>/.handled-requests-<name>` (read back at the next start). */
  persistIn(dataDir: string, name: string): void {
    this.handled = new HandledRequests(join(dataDir, `.handled-requests-${name}`));
  }

  /** The raw message handler that answers requests on `pattern` with `handler`. */
  handlerFor<P extends RequestTopic>(pattern: P, handler: RequestHandler<P>, opts: HandleOptions = {}): MessageHandler {
    const def: TopicDef = TOPICS[pattern];
    const replyPattern = def.reply as TopicPattern;
    const errorPattern = def.error as TopicPattern;
    const maxAge = opts.maxAgeMs ?? MAX_AGE_MS;
    const { log, metrics } = this.host;
    return (topic, payload, packet) => {
      metrics.countIn(pattern);
      const t0 = performance.now();
      let raw: Record<string, unknown> | null = null;
      try {
        raw = parseJson(payload);
      } catch {
        raw = null;
      }
      const ids = raw ? pick(raw) : peekEnvelope(payload);
      const fail = (e: unknown) => {
        metrics.countError(pattern);
        const info = toErrorInfo(e);
        if (info.code === 'INTERNAL') log.error('handler failed', { pattern, error: info.message });
        // errorBody comes last so a service may also restate the error (voice router: VOICE_BAD_REQUEST)
        const body = { ok: false, error: info, request_topic: topic, ...(opts.errorBody ? opts.errorBody(info, raw) : {}) };
        return this.host
          .reply(errorPattern, body, ids)
          .catch((err: unknown) => log.warn('could not send error reply', { pattern, ...toErrorInfo(err) }));
      };
      let msg: MessageOf<P>;
      try {
        msg = decode(pattern, payload);
      } catch (e) {
        void fail(e); // writes the error reply synchronously, before the PUBACK
        return;
      }
      // QoS 1 is at-least-once: a redelivered request must not act twice.
      if (this.recent.has(msg.id) || this.handled.has(msg.id)) return;
      this.rememberRecent(msg.id);
      if (msg.deadline !== undefined && Date.now() > msg.deadline) {
        // the requester has already answered itself with a TIMEOUT: acting now would surprise the user
        log.warn('dropped expired request', { pattern, late_ms: Date.now() - msg.deadline });
        return;
      }
      // An explicit deadline says how long the requester waits; only requests without one fall back
      // to the age limit: a command queued in the persistent session while its service restarted is
      // still wanted when it comes back, one from long ago is not.
      if (msg.deadline === undefined && maxAge > 0 && Date.now() - msg.ts > maxAge) {
        log.warn('dropped stale request', { pattern, age_ms: Date.now() - msg.ts });
        return;
      }
      const replyIds = { correlation_id: msg.correlation_id ?? msg.id, trace_id: msg.trace_id, session_id: msg.session_id };
      const handled = Promise.resolve().then(() => handler(msg, { topic }));
      // the id is remembered right after the reply is written (reply() writes synchronously), and
      // put on file once that write has left the process (persistAfterFlush)
      const answered = (sent: Promise<unknown>) => {
        this.handled.remember(msg.id);
        this.persistAfterFlush(msg.id);
        return sent;
      };
      handled
        .then(
          (body) => answered(this.host.reply(replyPattern, body as object, replyIds)),
          (e: unknown) => answered(fail(e)),
        )
        .catch((e: unknown) => {
          // the reply itself was invalid (a bug): still answer with a coded error
          void fail(e);
        })
        .finally(() => metrics.latency.add(performance.now() - t0));
      // The reply chain above reacts to `handled` first, so its PUBLISH is written before this PUBACK.
      this.host.holdAck(packet, handled);
    };
  }

  private rememberRecent(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) {
      const first = this.recent.values().next().value;
      if (first !== undefined) this.recent.delete(first);
    }
  }

  /**
   * Put an answered request id on file once everything written so far has left the process. Under
   * load the socket's own buffer holds writes (the reply, then the request's PUBACK behind it); a
   * kill -9 then loses both, the broker redelivers the request, and an id already on file would
   * drop it unanswered (seen: 12 of 1,000 in the kill -9 test on a busy machine). A kernel socket
   * buffer is sent even after the process dies, so once the reply is out it reaches the broker.
   * A zero-length write's callback runs when every write before it has been handed to the kernel
   * (Writable keeps order); on a stream that dies first it never runs and the request comes back.
   */
  private persistAfterFlush(id: string): void {
    const s = this.host.stream();
    if (!s?.write || !s.writableLength) {
      this.handled.persist(id);
      return;
    }
    s.write(EMPTY, (err) => {
      if (!err) this.handled.persist(id);
    });
  }
}

function pick(raw: Record<string, unknown>): ReplyIds {
  // Echo only ids a receiver can accept (envelope: 1..128 chars). The fuzzer (e2e/system/reliability)
  // found a 2 MB correlation_id echoed into the error reply: an invalid, amplified answer.
  const s = (k: string) => {
    const v = raw[k];
    return typeof v === 'string' && v.length >= 1 && v.length <= 128 ? v : undefined;
  };
  return { correlation_id: s('correlation_id') ?? s('id'), trace_id: s('trace_id'), session_id: s('session_id') };
}

import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { ErrorCode } from '../../../services/lib/protocol/errors.js';

/**
 * A request the service refused: an answer with ok:false and an error object. Carries the error's
 * code and the whole decoded answer, for services that say more than the error (the voice router
 * answers a failed session with a full voice result).
 */
export class RefusedError extends AliciaError {
  readonly topic: string;
  readonly reply: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, topic: string, reply: Record<string, unknown>) {
    super(code, message);
    this.name = 'RefusedError';
    this.topic = topic;
    this.reply = reply;
  }
}

/**
 * Outstanding control-plane requests, keyed by correlation id (Aedes is MQTT 3.1.1: correlation
 * rides in the payload). A reply settles its request; no reply within the timeout rejects with
 * TIMEOUT so the UI can say why nothing happened.
 */
interface Pending {
  resolve: (msg: Record<string, unknown>) => void;
  reject: (err: AliciaError) => void;
  timer: ReturnType<typeof setTimeout>;
  replyTopics: readonly string[];
}

/** The error object of an ok:false answer, or null for anything else. */
function remoteError(msg: Record<string, unknown>): { code: ErrorCode; message: string } | null {
  const err = msg.error as { code?: unknown; message?: unknown } | undefined;
  if (msg.ok !== false || !err || typeof err.code !== 'string') return null;
  // A remote code is the service's word: passed on as it came, whether or not this window knows it.
  return { code: err.code as ErrorCode, message: typeof err.message === 'string' ? err.message : err.code };
}

export class PendingRequests {
  private readonly map = new Map<string, Pending>();

  get size(): number {
    return this.map.size;
  }

  /**
   * Wait for the answer on one of `replyTopics`. `R` is the type those topics' messages decode to:
   * only decoded messages resolve a request (settle), never invalid ones (settleInvalid).
   */
  add<R extends Record<string, unknown>>(
    correlationId: string,
    replyTopics: readonly string[],
    timeoutMs: number,
    what: string,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.map.delete(correlationId);
        reject(new AliciaError('TIMEOUT', `${what}: no answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.map.set(correlationId, { resolve: (msg) => resolve(msg as R), reject, timer, replyTopics });
    });
  }

  /** The request a message on `topic` answers, taken out of the map; undefined when it answers none. */
  private take(topic: string, msg: unknown): Pending | undefined {
    const cid = (msg as { correlation_id?: unknown } | null)?.correlation_id;
    if (typeof cid !== 'string') return undefined;
    const p = this.map.get(cid);
    if (!p || !p.replyTopics.includes(topic)) return undefined;
    this.map.delete(cid);
    clearTimeout(p.timer);
    return p;
  }

  /**
   * Offer a decoded message. Replies with ok:false and an error object reject with that error's
   * code (a RefusedError carrying the reply); everything else resolves. Returns true when it settled
   * a request.
   */
  settle(topic: string, msg: Record<string, unknown>): boolean {
    const p = this.take(topic, msg);
    if (!p) return false;
    const err = remoteError(msg);
    if (err) p.reject(new RefusedError(err.code, err.message, topic, msg));
    else p.resolve(msg);
    return true;
  }

  /**
   * Offer a message that failed its topic's schema (`raw` is its parsed JSON), so the request shows
   * why rather than waiting for its timeout: an error answer rejects with its own code, anything
   * else with `invalid` (the decoder's error). Returns true when it settled a request.
   */
  settleInvalid(topic: string, raw: unknown, invalid: AliciaError): boolean {
    const p = this.take(topic, raw);
    if (!p) return false;
    const err = typeof raw === 'object' && raw !== null ? remoteError(raw as Record<string, unknown>) : null;
    p.reject(err ? new AliciaError(err.code, err.message) : invalid);
    return true;
  }

  /** Reject every request still waiting (the connection was lost: their answers cannot arrive). */
  failAll(err: AliciaError): void {
    const all = [...this.map.values()];
    this.map.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /** Reject one request (its publish failed). */
  fail(correlationId: string, err: AliciaError): void {
    const p = this.map.get(correlationId);
    if (!p) return;
    this.map.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
  }
}

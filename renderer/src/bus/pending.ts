import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { ErrorCode } from '../../../services/lib/protocol/errors.js';

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

export class PendingRequests {
  private readonly map = new Map<string, Pending>();

  get size(): number {
    return this.map.size;
  }

  add(correlationId: string, replyTopics: readonly string[], timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.map.delete(correlationId);
        reject(new AliciaError('TIMEOUT', `${what}: no answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.map.set(correlationId, { resolve, reject, timer, replyTopics });
    });
  }

  /**
   * Offer a received message. Replies with ok:false and an error object reject with that error's
   * code; everything else resolves. Returns true when it settled a request.
   */
  settle(topic: string, msg: Record<string, unknown>): boolean {
    const cid = msg.correlation_id;
    if (typeof cid !== 'string') return false;
    const p = this.map.get(cid);
    if (!p || !p.replyTopics.includes(topic)) return false;
    this.map.delete(cid);
    clearTimeout(p.timer);
    const err = msg.error as { code?: unknown; message?: unknown } | undefined;
    if (msg.ok === false && err && typeof err.code === 'string') {
      const e = new AliciaError(err.code as ErrorCode, typeof err.message === 'string' ? err.message : err.code);
      (e as AliciaError & { reply?: unknown }).reply = msg;
      p.reject(e);
    } else {
      p.resolve(msg);
    }
    return true;
  }

  /** Reject everything (connection closed). */
  failAll(code: ErrorCode, message: string): void {
    for (const [id, p] of this.map) {
      clearTimeout(p.timer);
      p.reject(new AliciaError(code, message));
      this.map.delete(id);
    }
  }
}

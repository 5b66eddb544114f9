/**
 * Per-client message rate limit of the broker (docs/security.md, "Limits"): a token bucket per
 * connection. Each PUBLISH takes one token; tokens refill at `messagesPerSecond` up to `burst`.
 * A client that finds the bucket empty is over the limit (the broker disconnects and logs it).
 *
 * Defaults are generous (2,000 msg/s sustained, bursts of 5,000): a service answers a few hundred
 * requests a second at most, the window a few dozen; the limit exists to stop one runaway or
 * hostile client from starving the broker (which is single-threaded and shared by everyone).
 */

export interface RateLimitOptions {
  /** sustained messages per second per client */
  messagesPerSecond: number;
  /** bucket size: messages a client may send at once after being idle */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { messagesPerSecond: 2000, burst: 5000 };

/** Milliseconds clock; injectable for tests. */
export type Clock = () => number;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerMs: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take one token; false when the bucket is empty (the message is over the limit). */
  take(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One bucket per client object (a WeakMap: a closed connection's bucket goes with it, so a client
 * cannot grow the map by reconnecting).
 */
export class ClientRateLimiter<K extends object = object> {
  private readonly buckets = new WeakMap<K, TokenBucket>();
  private readonly ratePerMs: number;
  private readonly burst: number;

  constructor(
    opts: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly clock: Clock = () => performance.now(),
  ) {
    if (!(opts.messagesPerSecond > 0) || !(opts.burst >= 1)) {
      throw new RangeError(`rate limit needs messagesPerSecond > 0 and burst >= 1, got ${JSON.stringify(opts)}`);
    }
    this.ratePerMs = opts.messagesPerSecond / 1000;
    this.burst = opts.burst;
  }

  /** Count one message of `client`; false when it is over the limit. */
  allow(client: K): boolean {
    const now = this.clock();
    let b = this.buckets.get(client);
    if (!b) {
      b = new TokenBucket(this.ratePerMs, this.burst, now);
      this.buckets.set(client, b);
    }
    return b.take(now);
  }
}

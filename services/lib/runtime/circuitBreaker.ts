import { AliciaError } from '../protocol/errors.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** consecutive failures that open the circuit */
  failureThreshold?: number;
  /** how long the circuit stays open before one trial call is let through */
  resetTimeoutMs?: number;
  /** which errors count as failures of the downstream (default: every error) */
  isFailure?: (err: unknown) => boolean;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/**
 * Circuit breaker (closed / open / half-open), as described in Nygard's "Release It!":
 * closed counts consecutive failures; at the threshold it opens and fails fast with CIRCUIT_OPEN;
 * after resetTimeoutMs one trial call is let through (half-open): success closes, failure reopens.
 */
export class CircuitBreaker {
  private state_: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly resetMs: number;
  private readonly isFailure: (err: unknown) => boolean;
  private readonly now: () => number;
  private readonly onStateChange?: (s: BreakerState) => void;

  constructor(
    readonly name: string,
    opts: BreakerOptions = {},
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.resetMs = opts.resetTimeoutMs ?? 10_000;
    this.isFailure = opts.isFailure ?? (() => true);
    this.now = opts.now ?? Date.now;
    this.onStateChange = opts.onStateChange;
  }

  get state(): BreakerState {
    if (this.state_ === 'open' && this.now() - this.openedAt >= this.resetMs) return 'half_open';
    return this.state_;
  }

  async exec<T>(fn: () => Promise<T>): Promise<T> {
    const s = this.state;
    if (s === 'open' || (s === 'half_open' && this.trialInFlight)) {
      throw new AliciaError('CIRCUIT_OPEN', `circuit for ${this.name} is open after ${this.failures} failures; retry later`);
    }
    if (s === 'half_open') {
      this.set('half_open');
      this.trialInFlight = true;
    }
    try {
      const v = await fn();
      this.onSuccess();
      return v;
    } catch (e) {
      if (this.isFailure(e)) this.onFailure();
      else this.onSuccess();
      throw e;
    } finally {
      if (s === 'half_open') this.trialInFlight = false;
    }
  }

  private onSuccess(): void {
    this.failures = 0;
    if (this.state_ !== 'closed') this.set('closed');
  }

  private onFailure(): void {
    this.failures++;
    if (this.state_ === 'half_open' || this.failures >= this.threshold) {
      this.openedAt = this.now();
      this.set('open');
    }
  }

  private set(s: BreakerState): void {
    if (this.state_ === s) return;
    this.state_ = s;
    this.onStateChange?.(s);
  }
}

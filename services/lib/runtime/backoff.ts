export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0..1: share of each delay that is randomised, so restarted clients don't retry in lock-step */
  jitter?: number;
}

/**
 * Exponential backoff delay for attempt n (0-based): initial * factor^n, capped, with jitter (rounded
 * to whole ms). With jitter 0 it is exactly `Math.min(max, initial * factor ** n)`, unrounded.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 100;
  const max = opts.maxMs ?? 10_000;
  const factor = opts.factor ?? 2;
  const jitter = opts.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt));
  if (jitter === 0) return base;
  return Math.round(base * (1 - jitter + jitter * 2 * random()));
}

export interface RetryOptions extends BackoffOptions {
  /** retries after the first attempt */
  retries: number;
  /** retry only errors this says are transient (default: all) */
  shouldRetry?: (err: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run fn, retrying transient failures with exponential backoff. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= opts.retries || (opts.shouldRetry && !opts.shouldRetry(e))) throw e;
      await sleep(backoffDelay(attempt, opts));
    }
  }
}

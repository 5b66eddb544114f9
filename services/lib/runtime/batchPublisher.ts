export interface BatchItem {
  topic: string;
  payload: string | Buffer;
  qos: 0 | 1;
  retain: boolean;
}

export interface BatchOptions {
  /** flush when this many messages are queued */
  maxBatch?: number;
  /** flush at the latest this long after the first queued message */
  maxDelayMs?: number;
  /** bound on queued messages; past it the oldest are dropped and counted */
  maxQueue?: number;
}

/**
 * Batched publishing: queue messages and send them together, so N small events
 * cost one socket write instead of N. The queue is bounded: a stalled connection drops the oldest
 * (counted in `dropped`), never grows without limit.
 */
export class BatchPublisher {
  private queue: BatchItem[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  dropped = 0;
  sent = 0;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly maxQueue: number;

  constructor(
    private readonly send: (items: BatchItem[]) => Promise<void>,
    opts: BatchOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 50;
    this.maxQueue = opts.maxQueue ?? 10_000;
  }

  get size(): number {
    return this.queue.length;
  }

  add(item: BatchItem): void {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(item);
    if (this.queue.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.maxDelayMs);
      this.timer.unref();
    }
  }

  /** Send what is queued now; resolves when it has been handed to the connection. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return this.flushing;
    const items = this.queue;
    this.queue = [];
    this.flushing = this.flushing
      .then(() => this.send(items))
      .then(
        () => {
          this.sent += items.length;
        },
        () => {
          this.dropped += items.length;
        },
      );
    return this.flushing;
  }
}

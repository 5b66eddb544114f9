/**
 * Communication metrics of one service: messages in/out, errors (total and per topic), rates over
 * the last window, and handler latency percentiles from a bounded ring of recent samples.
 */
export type LatencySummary = {
  p50: number;
  p95: number;
  p99: number;
  count: number;
};

export class LatencyRing {
  private readonly buf: Float64Array;
  private n = 0;
  private total = 0;
  constructor(size = 2048) {
    this.buf = new Float64Array(size);
  }
  add(ms: number): void {
    this.buf[this.n % this.buf.length] = ms;
    this.n++;
    this.total++;
  }
  summary(): LatencySummary {
    const len = Math.min(this.n, this.buf.length);
    if (len === 0) return { p50: 0, p95: 0, p99: 0, count: this.total };
    const sorted = Array.from(this.buf.subarray(0, len)).sort((a, b) => a - b);
    const q = (p: number) => round(sorted[Math.min(len - 1, Math.floor(p * len))] ?? 0);
    return { p50: q(0.5), p95: q(0.95), p99: q(0.99), count: this.total };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

type TopicCounts = {
  in: number;
  out: number;
  errors: number;
};

export class ServiceMetrics {
  messagesIn = 0;
  messagesOut = 0;
  errors = 0;
  readonly latency = new LatencyRing();
  private readonly perTopic = new Map<string, TopicCounts>();
  private lastIn = 0;
  private lastOut = 0;
  private lastAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastAt = now();
  }

  private topic(pattern: string): TopicCounts {
    let t = this.perTopic.get(pattern);
    if (!t) {
      // bounded: foreign topics are folded into one bucket past 200 entries
      if (this.perTopic.size >= 200) pattern = '(other)';
      t = this.perTopic.get(pattern) ?? { in: 0, out: 0, errors: 0 };
      this.perTopic.set(pattern, t);
    }
    return t;
  }

  countIn(pattern: string): void {
    this.messagesIn++;
    this.topic(pattern).in++;
  }
  countOut(pattern: string): void {
    this.messagesOut++;
    this.topic(pattern).out++;
  }
  countError(pattern: string): void {
    this.errors++;
    this.topic(pattern).errors++;
  }

  /** Snapshot for alicia/health/status/<service>; rates cover the time since the previous snapshot. */
  snapshot(): {
    messages_in: number;
    messages_out: number;
    errors: number;
    in_per_s: number;
    out_per_s: number;
    handler_latency_ms: LatencySummary;
    per_topic: Record<string, TopicCounts>;
    window_ms: number;
  } {
    const t = this.now();
    const dt = Math.max(1, t - this.lastAt);
    const inRate = ((this.messagesIn - this.lastIn) * 1000) / dt;
    const outRate = ((this.messagesOut - this.lastOut) * 1000) / dt;
    this.lastIn = this.messagesIn;
    this.lastOut = this.messagesOut;
    this.lastAt = t;
    return {
      messages_in: this.messagesIn,
      messages_out: this.messagesOut,
      errors: this.errors,
      in_per_s: round(inRate),
      out_per_s: round(outRate),
      handler_latency_ms: this.latency.summary(),
      per_topic: Object.fromEntries(this.perTopic),
      window_ms: Math.round(dt),
    };
  }
}

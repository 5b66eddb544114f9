import { Worker } from 'node:worker_threads';
import { AliciaBroker } from '../../electron/host/broker/broker.js';
import type { BrokerLimits } from '../../electron/host/broker/brokerSettings.js';
import { Credentials } from '../../electron/host/broker/credentials.js';
import { sleep } from '../support/host.js';
import type { LoadConfig, LoadReport } from './brokerLoad.worker.js';
import { createLogger } from '../../services/lib/runtime/logger.js';

/**
 * The MQTT load generator as the benchmarks drive it: mqtt.js clients in worker threads
 * (brokerLoad.worker.ts), so the broker under test keeps its thread to itself. Shared by the
 * broker and recorder benchmarks.
 */

export interface LoadWorker {
  worker: Worker;
  send(m: unknown): void;
  next(type: LoadReport['type']): Promise<LoadReport>;
}

const WORKER_REPORT_TIMEOUT_MS = 60_000;

/**
 * The embedded broker as the benchmarks run it: ephemeral ports, no log, no stats timer, its
 * credentials in `dir`. The per-client rate limit (2,000 msg/s by default, docs/security.md) would
 * disconnect a publisher running flat out; it is raised so the limiter stays on the path (its
 * cost is measured) but never trips. A bench of the broker as shipped passes `{ rateLimit:
 * DEFAULT_RATE_LIMIT }` in `limits`.
 */
export async function benchBroker(
  dir: string,
  limits: Partial<BrokerLimits> = {},
): Promise<{ broker: AliciaBroker; credentials: Credentials }> {
  const credentials = await Credentials.loadOrCreate(dir);
  const broker = new AliciaBroker({
    rateLimit: { messagesPerSecond: 10_000_000, burst: 10_000_000 },
    ...limits,
    dataDir: dir,
    credentials,
    mqttPort: 0,
    wsPort: 0,
    statsIntervalMs: 0,
    log: createLogger('broker', { sink: () => undefined }),
  });
  await broker.start();
  return { broker, credentials };
}

/** One load worker; it waits for { run: LoadConfig } messages (one worker serves many runs). */
export function startLoadWorker(name: string): LoadWorker {
  const worker = new Worker(new URL('./brokerLoad.worker.js', import.meta.url));
  const queue: LoadReport[] = [];
  const waiters: ((r: LoadReport) => void)[] = [];
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure = e;
    for (const w of waiters.splice(0)) w({ type: 'error', message: e.message });
  };
  worker.on('message', (r: LoadReport) => {
    if (r.type === 'error') return fail(new Error(`${name} worker: ${r.message}`));
    const w = waiters.shift();
    if (w) w(r);
    else queue.push(r);
  });
  worker.on('error', fail);
  return {
    worker,
    send: (m) => worker.postMessage(m),
    async next(type) {
      if (failure) throw failure;
      // bounded: a worker whose client was disconnected (e.g. by a broker limit) must not hang the bench
      const r =
        queue.shift() ??
        (await new Promise<LoadReport>((res) => {
          const timer = setTimeout(() => {
            const i = waiters.indexOf(done);
            if (i >= 0) waiters.splice(i, 1);
            res({ type: 'error', message: `${name} worker: no '${type}' report within ${WORKER_REPORT_TIMEOUT_MS} ms` });
          }, WORKER_REPORT_TIMEOUT_MS);
          const done = (x: LoadReport) => {
            clearTimeout(timer);
            res(x);
          };
          waiters.push(done);
        }));
      if (r.type === 'error') throw new Error(r.message);
      if (r.type !== type) throw new Error(`expected ${type} from ${name} worker, got ${r.type}`);
      return r;
    },
  };
}

/** One subscriber worker and the publisher workers, reused across runs. */
export interface Pool {
  sub: LoadWorker;
  pubs: LoadWorker[];
}

export function startPool(publisherWorkers: number): Pool {
  return {
    sub: startLoadWorker('subscriber'),
    pubs: Array.from({ length: publisherWorkers }, (_, i) => startLoadWorker(`publisher ${i}`)),
  };
}

export async function stopPool(pool: Pool): Promise<void> {
  await Promise.all([pool.sub, ...pool.pubs].map((w) => w.worker.terminate()));
}

export interface FanInOptions {
  url: string;
  qos: 0 | 1;
  /** publisher topics: prefix + "w<worker>c<client>" */
  topicPrefix: string;
  /** the subscriber's filter */
  filter: string;
  /** subscriber clients on that filter (default 1; several for a shared subscription) */
  subscribers?: number;
  subAuth: LoadConfig['auth'];
  pubAuth: LoadConfig['auth'];
  /** publisher clients in all, spread over the pool's publisher workers */
  publishers: number;
  payloadBytes: number;
  durationMs: number;
  freshIds?: boolean;
  /** offered messages/s in all (spread over the publisher workers); default flat out */
  ratePerSecond?: number;
  /** called once everyone is connected, right before the publishers start */
  beforeGo?: () => void;
  /** how often the subscriber's count is polled while draining */
  pollMs?: number;
}

export interface FanInResult {
  /** messages/s the subscriber received, from the first publish to the last receipt */
  rate: number;
  loss: number;
  sent: number;
  received: number;
  /** what each subscriber client received */
  perClient: number[];
}

/**
 * Fan-in: the publishers go flat out (up to 64 publishes in flight each) for durationMs into one
 * wildcard subscriber; then wait until everything arrived or nothing moved for 10 polls.
 */
export async function fanIn(pool: Pool, o: FanInOptions): Promise<FanInResult> {
  const base = { url: o.url, qos: o.qos, filter: o.filter, payloadBytes: o.payloadBytes, durationMs: o.durationMs, freshIds: o.freshIds };
  const { sub, pubs } = pool;
  sub.send({
    run: { ...base, topicPrefix: o.topicPrefix, role: 'subscriber', auth: o.subAuth, clients: o.subscribers ?? 1 } satisfies LoadConfig,
  });
  await sub.next('ready');
  try {
    const perWorker = o.publishers / pubs.length;
    pubs.forEach((p, w) =>
      p.send({
        run: {
          ...base,
          topicPrefix: `${o.topicPrefix}w${w}c`,
          role: 'publishers',
          auth: o.pubAuth,
          clients: perWorker,
          ...(o.ratePerSecond ? { ratePerSecond: o.ratePerSecond / pubs.length } : {}),
        } satisfies LoadConfig,
      }),
    );
    for (const p of pubs) await p.next('ready');
    o.beforeGo?.();
    for (const p of pubs) p.send('go');
    let sent = 0;
    let startedAt = Infinity;
    for (const p of pubs) {
      const r = (await p.next('published')) as Extract<LoadReport, { type: 'published' }>;
      sent += r.sent;
      startedAt = Math.min(startedAt, r.startedAt);
    }
    let last = -1;
    let still = 0;
    let count: Extract<LoadReport, { type: 'count' }> = { type: 'count', received: 0, firstAt: 0, lastAt: 0, perClient: [] };
    while (still < 10) {
      sub.send('count');
      count = (await sub.next('count')) as typeof count;
      if (count.received >= sent) break;
      still = count.received === last ? still + 1 : 0;
      last = count.received;
      await sleep(o.pollMs ?? 50);
    }
    // Paced: the run lasts at least its duration (a broker that keeps up delivers the last message
    // right after it; one that does not, later), so clock skew between threads cannot shorten it.
    const seconds = Math.max((count.lastAt - startedAt) / 1000, o.ratePerSecond ? o.durationMs / 1000 : 0);
    return {
      rate: seconds > 0 ? count.received / seconds : 0,
      loss: sent > 0 ? 1 - count.received / sent : 0,
      sent,
      received: count.received,
      perClient: count.perClient,
    };
  } finally {
    sub.send('stop');
    await sub.next('stopped');
  }
}

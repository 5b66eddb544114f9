import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * MQTT load generator for broker.bench.ts, run in worker threads so the clients do not share an
 * event loop with the broker under test. Roles:
 *  - publishers: N clients publish 256 B JSON to <topicPrefix><i> as fast as a window of in-flight
 *    publishes per client allows, for durationMs;
 *  - subscriber: one client (or several, e.g. the members of a shared subscription) on a wildcard
 *    filter counts what arrives;
 *  - rtt: a requester and a responder; the requester times QoS 1 request -> response round trips.
 * Every client: MQTT 3.1.1, TCP_NODELAY (mqtt.js has no option for it; without it Nagle + delayed ACK add ~88 ms per QoS 1 round trip).
 */

export interface LoadConfig {
  role: 'publishers' | 'subscriber' | 'rtt';
  url: string;
  /** per client: [username, password] or null (no auth) */
  auth: { username: string; password: string }[] | null;
  qos: 0 | 1;
  topicPrefix: string;
  filter: string;
  clients: number;
  payloadBytes: number;
  durationMs: number;
  /** rtt role: topics and round trips */
  requestTopic?: string;
  responseTopic?: string;
  rounds?: number;
  warmup?: number;
  /** publishers: a new message id per message and a new trace id every 10 (as a busy bus has), instead of one fixed payload */
  freshIds?: boolean;
  /** publishers: this worker's messages/s in all (spread over its clients) instead of flat out */
  ratePerSecond?: number;
}

export type LoadReport =
  | { type: 'ready' }
  | { type: 'published'; sent: number; startedAt: number; endedAt: number }
  | { type: 'count'; received: number; firstAt: number; lastAt: number; perClient: number[] }
  | { type: 'rtt'; latenciesMs: number[] }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const now = () => performance.timeOrigin + performance.now();
const WINDOW = 64;

function payloadOf(bytes: number, seq: number): string {
  const head = `{"v":"1.0","id":"bench-${seq}","ts":${Date.now()},"source":"bench","trace_id":"t${seq}","pad":"`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length - 2)) + '"}';
}

async function connect(cfg: LoadConfig, i: number): Promise<MqttClient> {
  const auth = cfg.auth?.[i % cfg.auth.length];
  const c = await mqtt.connectAsync(cfg.url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clientId: `bench-${cfg.role}-${i}-${Math.random().toString(36).slice(2, 8)}`,
    ...(auth ? { username: auth.username, password: auth.password } : {}),
  });
  (c.stream as Partial<Socket>).setNoDelay?.(true);
  return c;
}

function post(r: LoadReport): void {
  parentPort?.postMessage(r);
}

async function publishers(cfg: LoadConfig): Promise<void> {
  const clients = await Promise.all(Array.from({ length: cfg.clients }, (_, i) => connect(cfg, i)));
  const payload = payloadOf(cfg.payloadBytes, 0);
  // Fresh ids: same size, the sequence number (and this worker's tag) in the id and trace fields.
  const tag = Math.random().toString(36).slice(2, 8);
  const ts = Date.now();
  const head = (seq: number) =>
    `{"v":"1.0","id":"b${tag}-${seq}","ts":${ts},"source":"bench","trace_id":"t${tag}-${Math.floor(seq / 10)}","pad":"`;
  const pad = 'x'.repeat(Math.max(0, cfg.payloadBytes - head(100_000).length - 2));
  const fresh = (seq: number) => `${head(seq)}${pad}"}`;
  let seqNo = 0;
  post({ type: 'ready' });
  await new Promise<void>((r) => {
    const onGo = (m: unknown) => {
      if (m !== 'go') return;
      parentPort?.off('message', onGo);
      r();
    };
    parentPort?.on('message', onGo);
  });
  const startedAt = now();
  const stopAt = startedAt + cfg.durationMs;
  if (cfg.ratePerSecond) {
    const sent = await paced(cfg, clients, startedAt, stopAt, () => (cfg.freshIds ? fresh(seqNo++) : payload));
    post({ type: 'published', sent, startedAt, endedAt: now() });
    await Promise.all(clients.map((c) => c.endAsync()));
    return;
  }
  let sent = 0;
  await Promise.all(
    clients.map(
      (c, i) =>
        new Promise<void>((resolve, reject) => {
          const topic = `${cfg.topicPrefix}${i}`;
          let inflight = 0;
          let pumping = false;
          let running = true;
          const onDone = (err?: Error) => {
            if (err) return reject(err);
            inflight--;
            sent++;
            if (running && now() >= stopAt) running = false;
            if (running) pump();
            else if (inflight === 0) resolve();
          };
          const pump = () => {
            if (pumping) return; // mqtt.js may call back synchronously: no recursion
            pumping = true;
            while (running && inflight < WINDOW) {
              inflight++;
              c.publish(topic, cfg.freshIds ? fresh(seqNo++) : payload, { qos: cfg.qos }, onDone);
            }
            pumping = false;
          };
          pump();
        }),
    ),
  );
  const endedAt = now();
  post({ type: 'published', sent, startedAt, endedAt });
  await Promise.all(clients.map((c) => c.endAsync()));
}

/**
 * A steady offered load: every 2 ms, publish what the rate says should have gone by now, round
 * robin over the clients. A broker that cannot keep up makes the sockets back up (QoS 0 has no
 * acknowledgement to wait for), so the subscriber's rate shows what it delivered.
 */
async function paced(cfg: LoadConfig, clients: MqttClient[], startedAt: number, stopAt: number, next: () => string): Promise<number> {
  const rate = cfg.ratePerSecond!;
  let sent = 0;
  let rr = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = Math.min(now(), stopAt);
      const due = Math.floor(((t - startedAt) / 1000) * rate);
      for (; sent < due; sent++)
        clients[rr++ % clients.length]!.publish(`${cfg.topicPrefix}${rr % clients.length}`, next(), { qos: cfg.qos });
      if (t >= stopAt) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  return sent;
}

async function subscriber(cfg: LoadConfig): Promise<void> {
  // one or more clients on the same filter (several: the members of a shared subscription)
  const clients = await Promise.all(Array.from({ length: cfg.clients }, (_, i) => connect(cfg, i)));
  const perClient = clients.map(() => 0);
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  clients.forEach((c, i) =>
    c.on('message', () => {
      const t = now();
      if (received === 0) firstAt = t;
      received++;
      perClient[i]!++;
      lastAt = t;
    }),
  );
  await Promise.all(clients.map((c) => c.subscribeAsync(cfg.filter, { qos: cfg.qos })));
  post({ type: 'ready' });
  await new Promise<void>((resolve) => {
    const onMsg = (m: unknown) => {
      if (m === 'count') post({ type: 'count', received, firstAt, lastAt, perClient: [...perClient] });
      if (m === 'stop') {
        parentPort?.off('message', onMsg);
        void Promise.all(clients.map((c) => c.endAsync())).then(() => {
          post({ type: 'stopped' });
          resolve();
        });
      }
    };
    parentPort?.on('message', onMsg);
  });
}

async function rtt(cfg: LoadConfig): Promise<void> {
  const requester = await connect(cfg, 0);
  const responder = await connect(cfg, 1);
  const reqTopic = cfg.requestTopic!;
  const resTopic = cfg.responseTopic!;
  await responder.subscribeAsync(reqTopic, { qos: 1 });
  responder.on('message', (_t, p) => {
    responder.publish(resTopic, p, { qos: 1 });
  });
  await requester.subscribeAsync(resTopic, { qos: 1 });
  let pending: (() => void) | null = null;
  requester.on('message', () => pending?.());
  const latencies: number[] = [];
  const startAt = now();
  const stopAt = startAt + cfg.durationMs;
  // warm-up: the first `warmup` rounds, but never more than a tenth of the time budget (a slow
  // broker must still produce figures)
  const warmEnd = startAt + cfg.durationMs / 10;
  let warm = cfg.warmup ?? 0;
  const total = warm + (cfg.rounds ?? 1000);
  for (let i = 0; i < total && now() < stopAt; i++) {
    if (warm > 0 && now() >= warmEnd) warm = 0;
    const payload = payloadOf(cfg.payloadBytes, i);
    const t0 = performance.now();
    const answered = new Promise<void>((r) => (pending = r));
    requester.publish(reqTopic, payload, { qos: 1 });
    await answered;
    if (warm > 0) warm--;
    else latencies.push(performance.now() - t0);
  }
  post({ type: 'rtt', latenciesMs: latencies });
  await Promise.all([requester.endAsync(), responder.endAsync()]);
}

/**
 * A worker lives for the whole benchmark (loading mqtt.js in a fresh thread costs ~0.5 s on a
 * busy machine): the parent sends { run: LoadConfig } for each measurement.
 */
const roles = { publishers, subscriber, rtt };
parentPort?.on('message', (m: { run?: LoadConfig }) => {
  if (!m || typeof m !== 'object' || !m.run) return;
  const cfg = m.run;
  roles[cfg.role](cfg).catch((e: unknown) => post({ type: 'error', message: (e as Error).message }));
});
void workerData;

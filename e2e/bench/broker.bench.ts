import { Aedes } from 'aedes';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import { freePort } from '../support/mosquitto.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainThreadCpuMs as mainThreadCpu, procStatCpuMs } from '../../electron/host/recorder/threadCpu.js';
import { sleep } from '../support/host.js';
import type { BenchSection } from './types.js';
import type { LoadConfig, LoadReport } from './brokerLoad.worker.js';
import type { BrokerLimits } from '../../electron/host/broker/brokerSettings.js';
import { benchBroker, fanIn, startPool, stopPool, type Pool } from './load.js';
import { quantile } from './stats.js';

/**
 * Broker throughput and latency, side by side in one run:
 *  (a) the embedded AliciaBroker, auth + ACL on: publishers authenticate as `device-manager` and
 *      publish alicia/device/status/<n> (an ACL pattern check per message), the subscriber is `stt`
 *      on the wildcard alicia/device/status/+; round trips go voice-router -> ai -> voice-router
 *      on alicia/ai/request / alicia/ai/response;
 *  (b) a standalone Aedes 1.2, no auth, net.createServer({ noDelay: true }, handle);
 *  (c) Debian's Mosquitto, started here on a free port with a temp config, killed afterwards.
 * Both Aedes brokers run in this process's main thread; all clients (mqtt.js) run in worker
 * threads: 4 publishers in 2 workers (2 each), 1 subscriber in its own worker, so the broker
 * does not share an event loop with its load. Numbers are reported, never asserted.
 */

const PAYLOAD_BYTES = 256;
const THROUGHPUT_MS = 2000;
const RTT_ROUNDS = 2000;
const RTT_MAX_MS = 1200;
const PUBLISHERS = 4;
const PUBLISHER_WORKERS = 2;

export interface Target {
  name: string;
  url: string;
  pubAuth: LoadConfig['auth'];
  subAuth: LoadConfig['auth'];
  rttAuth: LoadConfig['auth'];
  topicPrefix: string;
  filter: string;
  requestTopic: string;
  responseTopic: string;
  /** CPU time the broker has used so far, in ms (its own thread or process, not the clients) */
  cpuMs(): number;
  stop(): Promise<void>;
}

interface Result {
  name: string;
  qos0: number;
  qos0Loss: number;
  qos0Cpu: number;
  qos1: number;
  qos1Loss: number;
  qos1Cpu: number;
  p50: number;
  p95: number;
  mean: number;
}

/**
 * utime + stime of one thread or process from /proc (Linux), in ms. Throughput on a shared 2-core
 * machine swings with the neighbours' load; CPU time per message barely does, so it is the fairer
 * broker-vs-broker figure. For the in-process brokers we read the main thread only
 * (/proc/self/task/<pid>), which is where Aedes runs; the client worker threads are excluded.
 */
const cpuOf = (path: string): number => procStatCpuMs(path) ?? NaN;
export const mainThreadCpuMs = () => mainThreadCpu() ?? NaN;

async function throughput(pool: Pool, t: Target, qos: 0 | 1): Promise<{ rate: number; loss: number; cpuUsPerMsg: number }> {
  let cpu0 = NaN;
  const r = await fanIn(pool, {
    url: t.url,
    qos,
    topicPrefix: t.topicPrefix,
    filter: t.filter,
    subAuth: t.subAuth,
    pubAuth: t.pubAuth,
    publishers: PUBLISHERS,
    payloadBytes: PAYLOAD_BYTES,
    durationMs: THROUGHPUT_MS,
    beforeGo: () => (cpu0 = t.cpuMs()),
  });
  const cpuUsPerMsg = r.received > 0 ? ((t.cpuMs() - cpu0) * 1000) / r.received : NaN;
  if (process.env.BENCH_DEBUG) {
    process.stderr.write(`${t.name} qos${qos}: sent ${r.sent} received ${r.received}, ${cpuUsPerMsg.toFixed(1)} us CPU/msg\n`);
  }
  return { rate: r.rate, loss: r.loss, cpuUsPerMsg };
}

async function roundTrips(pool: Pool, t: Target): Promise<{ p50: number; p95: number; mean: number }> {
  const w = pool.sub;
  w.send({
    run: {
      role: 'rtt',
      url: t.url,
      auth: t.rttAuth,
      qos: 1,
      topicPrefix: t.topicPrefix,
      filter: t.filter,
      clients: 2,
      payloadBytes: PAYLOAD_BYTES,
      durationMs: RTT_MAX_MS,
      requestTopic: t.requestTopic,
      responseTopic: t.responseTopic,
      rounds: RTT_ROUNDS,
      warmup: 100,
    } satisfies LoadConfig,
  });
  const r = (await w.next('rtt')) as Extract<LoadReport, { type: 'rtt' }>;
  const l = r.latenciesMs;
  return { p50: quantile(l, 0.5), p95: quantile(l, 0.95), mean: l.reduce((a, b) => a + b, 0) / Math.max(1, l.length) };
}

export async function alicia(limits: Partial<BrokerLimits> = {}, name = 'AliciaBroker (auth + ACL)'): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-bench-'));
  const { broker, credentials } = await benchBroker(dir, limits);
  const c = credentials.all();
  return {
    name,
    url: broker.addresses.mqttUrl,
    pubAuth: [c['device-manager']],
    subAuth: [c.stt],
    rttAuth: [c['voice-router'], c.ai],
    topicPrefix: 'alicia/device/status/bench_',
    filter: 'alicia/device/status/+',
    requestTopic: 'alicia/ai/request',
    responseTopic: 'alicia/ai/response',
    cpuMs: mainThreadCpuMs,
    async stop() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function plainAedes(): Promise<Target> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer({ noDelay: true }, (s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name: 'Aedes 1.2 standalone (no auth)',
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...openTopics(),
    cpuMs: mainThreadCpuMs,
    async stop() {
      server.close();
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

function openTopics() {
  return {
    pubAuth: null,
    subAuth: null,
    rttAuth: null,
    topicPrefix: 'alicia/device/status/bench_',
    filter: 'alicia/device/status/+',
    requestTopic: 'alicia/ai/request',
    responseTopic: 'alicia/ai/response',
  };
}

export async function mosquitto(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-bench-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // max_queued_messages/max_inflight_messages 0 = no limit: Aedes has neither limit, so the
  // comparison does not measure mosquitto's default 20-message in-flight window to the subscriber.
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest none',
      'set_tcp_nodelay true',
      'max_queued_messages 0',
      'max_inflight_messages 0',
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const end = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > end) {
      proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start: ${stderr.trim() || 'timeout'}`);
    }
    await sleep(50);
  }
  return {
    name: 'Mosquitto 2.0 (Debian, no auth)',
    url: `mqtt://127.0.0.1:${port}`,
    ...openTopics(),
    cpuMs: () => cpuOf(`/proc/${proc.pid}/stat`),
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(2000).then(() => proc.kill('SIGKILL'))]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const ROUNDS = 2;

export async function run(): Promise<BenchSection> {
  const errors: string[] = [];
  const targets: Target[] = [];
  for (const start of [alicia, plainAedes, mosquitto]) {
    try {
      targets.push(await start());
    } catch (e) {
      errors.push(`${start.name}: ${(e as Error).message}`);
    }
  }
  const pool = startPool(PUBLISHER_WORKERS);
  const results: Result[] = targets.map((t) => ({
    name: t.name,
    qos0: 0,
    qos0Loss: 0,
    qos0Cpu: NaN,
    qos1: 0,
    qos1Loss: 0,
    qos1Cpu: NaN,
    p50: NaN,
    p95: NaN,
    mean: NaN,
  }));
  try {
    // Interleaved, best of ROUNDS: on a shared 2-core machine a neighbour's burst would otherwise
    // land on one broker's run only; alternating the order spreads it.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
      for (const qos of [0, 1] as const) {
        for (const i of order) {
          const t = targets[i]!;
          const r = results[i]!;
          try {
            const { rate, loss, cpuUsPerMsg } = await throughput(pool, t, qos);
            // best of the rounds: highest rate, lowest CPU per message (each the least disturbed)
            if (qos === 0 && rate > r.qos0) Object.assign(r, { qos0: rate, qos0Loss: loss });
            if (qos === 1 && rate > r.qos1) Object.assign(r, { qos1: rate, qos1Loss: loss });
            if (qos === 0 && !(cpuUsPerMsg >= r.qos0Cpu)) r.qos0Cpu = cpuUsPerMsg;
            if (qos === 1 && !(cpuUsPerMsg >= r.qos1Cpu)) r.qos1Cpu = cpuUsPerMsg;
          } catch (e) {
            errors.push(`${t.name} QoS${qos}: ${(e as Error).message}`);
          }
        }
      }
      for (const i of order) {
        const t = targets[i]!;
        const r = results[i]!;
        try {
          const rtt = await roundTrips(pool, t);
          if (Number.isNaN(r.p50) || rtt.p50 < r.p50) Object.assign(r, rtt); // keep the quieter round
        } catch (e) {
          errors.push(`${t.name} round trip: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    await stopPool(pool);
    for (const t of targets) await t.stop().catch((e: unknown) => errors.push(`${t.name} stop: ${(e as Error).message}`));
  }
  const aedes = results.find((r) => r.name.startsWith('Aedes'));
  const ratio = (v: number, base: number | undefined) => (base ? `${(v / base).toFixed(2)}x` : 'n/a');
  const pct = (x: number) => (x > 0.0005 ? ` (${(x * 100).toFixed(1)}% lost)` : '');
  return {
    title: 'MQTT broker: fan-in throughput and QoS 1 round trip',
    columns: [
      'broker',
      'QoS0 msg/s',
      'vs Aedes',
      'QoS0 CPU µs/msg',
      'QoS1 msg/s',
      'vs Aedes',
      'QoS1 CPU µs/msg',
      'CPU/msg vs Aedes (0/1)',
      'RTT p50 ms',
      'RTT p95 ms',
      'RTT mean ms',
    ],
    rows: results.map((r) => [
      r.name,
      Math.round(r.qos0) + pct(r.qos0Loss),
      ratio(r.qos0, aedes?.qos0),
      r.qos0Cpu.toFixed(1),
      Math.round(r.qos1) + pct(r.qos1Loss),
      ratio(r.qos1, aedes?.qos1),
      r.qos1Cpu.toFixed(1),
      `${ratio(r.qos0Cpu, aedes?.qos0Cpu)} / ${ratio(r.qos1Cpu, aedes?.qos1Cpu)}`,
      Number(r.p50.toFixed(3)),
      Number(r.p95.toFixed(3)),
      Number(r.mean.toFixed(3)),
    ]),
    notes: [
      `Fan-in: ${PUBLISHERS} publishers (mqtt.js, ${PUBLISHER_WORKERS} worker threads, ${WINDOW_NOTE}) -> 1 subscriber on a wildcard (own worker thread), ${PAYLOAD_BYTES} B JSON, ${THROUGHPUT_MS / 1000} s per run, interleaved, best of ${ROUNDS}; msg/s = messages received by the subscriber / time from the first publish to the last receipt.`,
      `Round trip: QoS 1 request -> responder -> QoS 1 response, one at a time, ${RTT_ROUNDS} rounds (at most ${RTT_MAX_MS / 1000} s) after 100 warm-up, interleaved, the round with the lower p50 of ${ROUNDS}; TCP_NODELAY on every client and listener (without it ~88 ms: Nagle + delayed ACK).`,
      'AliciaBroker: publishers authenticate as device-manager (each PUBLISH passes the ACL check), the subscriber as stt, the round trip runs voice-router -> ai; no in-process onPublish listener attached (the recorder adds its own cost). AliciaBroker sends what one event-loop turn writes to a TCP client in one syscall (electron/host/broker/socketWrites.ts); standalone Aedes writes every delivered PUBLISH with its own writev, which is most of the CPU/msg difference between the two rows. Aedes and AliciaBroker run in the bench process main thread; Mosquitto in its own process (set_tcp_nodelay true; max_queued_messages / max_inflight_messages unlimited, like Aedes).',
      'CPU µs/msg: CPU time of the broker (the main thread for the two Aedes brokers, /proc/self/task/<pid>/stat; the mosquitto process, /proc/<pid>/stat) during a run divided by messages delivered; lowest of the rounds. "CPU/msg vs Aedes" < 1.00x means cheaper per message than standalone Aedes. It moves less than msg/s with the load other processes put on the shared cores (CPU contention still inflates it through cache misses).',
      'The machine is shared: other work on the same cores shows up as noise in msg/s and latency; compare rows of one run, not runs.',
      ...errors.map((e) => `FAILED ${e}`),
    ],
  };
}

const WINDOW_NOTE = 'up to 64 publishes in flight per client';

import mqtt from 'mqtt';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Publisher for ui.bench.ts, in a worker thread so it does not share an event loop with the
 * benchmark's page driver: `rate` msg/s of small JSON over `topics` distinct topics for
 * `durationMs`, paced in 10 ms slices, QoS 0, TCP_NODELAY (mqtt.js has no option; Nagle would add ~88 ms per round trip).
 * The broker limits each client to 2,000 PUBLISH/s (electron/host/broker/rateLimit.ts) and disconnects
 * a client over it, so the load is spread over enough clients to stay at ~1,250/s each; a client
 * that is disconnected anyway is reported (its messages would not count as sent to the window).
 * Topic i is bench/g<i % 100>/t<i>: a two-level fan-out like a real device fleet.
 */
export interface UiLoadConfig {
  url: string;
  username: string;
  password: string;
  rate: number;
  topics: number;
  durationMs: number;
}

export type UiLoadReport =
  | { type: 'ready' }
  | {
      type: 'done';
      sent: number;
      startedAt: number;
      endedAt: number;
      flushedAt: number;
      unflushed: number;
      clients: number;
      disconnects: number;
    }
  | { type: 'error'; message: string };

export function benchTopic(i: number): string {
  return `bench/g${i % 100}/t${i}`;
}

async function main(): Promise<void> {
  const cfg = workerData as UiLoadConfig;
  const n = Math.max(1, Math.ceil(cfg.rate / 1250));
  const clients = await Promise.all(
    Array.from({ length: n }, (_, k) =>
      mqtt.connectAsync(cfg.url, {
        username: cfg.username,
        password: cfg.password,
        protocolVersion: 4,
        clientId: `bench-ui-${process.pid}-${k}`,
        reconnectPeriod: 0,
      }),
    ),
  );
  let disconnects = 0;
  for (const c of clients) {
    (c.stream as Socket).setNoDelay?.(true);
    c.on('close', () => disconnects++);
  }
  parentPort?.postMessage({ type: 'ready' } satisfies UiLoadReport);
  await new Promise<void>((r) => parentPort?.once('message', () => r()));
  const startedAt = Date.now();
  let sent = 0;
  let i = 0;
  const slice = 10;
  while (Date.now() - startedAt < cfg.durationMs) {
    const due = Math.floor(((Date.now() - startedAt + slice) / 1000) * cfg.rate);
    while (sent < due) {
      const t = i % cfg.topics;
      (clients[sent % n] as (typeof clients)[number]).publish(
        benchTopic(t),
        JSON.stringify({ seq: sent, v: Math.round(Math.sin(sent / 100) * 1000) / 10, ts: Date.now() }),
        { qos: 0 },
      );
      sent++;
      i++;
    }
    await new Promise((r) => setTimeout(r, slice));
  }
  const endedAt = Date.now();
  // publish() only queues: when the host is slower than the load, the bytes wait in these sockets'
  // write buffers. Ending the clients (and the bench terminating this worker) before they are
  // written would silently lose them and count them as "dropped by the window". So wait until
  // every socket has handed its bytes to the kernel (60 s at most) and report what is left.
  const unwritten = () => clients.reduce((a, c) => a + ((c.stream as Socket).writableLength ?? 0), 0);
  while (unwritten() > 0 && Date.now() - endedAt < 60_000 && disconnects === 0) await new Promise((r) => setTimeout(r, 50));
  const flushedAt = Date.now();
  const unflushed = unwritten();
  const lost = disconnects;
  await Promise.all(clients.map((c) => c.endAsync()));
  parentPort?.postMessage({
    type: 'done',
    sent,
    startedAt,
    endedAt,
    flushedAt,
    unflushed,
    clients: n,
    disconnects: lost,
  } satisfies UiLoadReport);
}

main().catch((e: unknown) => parentPort?.postMessage({ type: 'error', message: (e as Error).message } satisfies UiLoadReport));

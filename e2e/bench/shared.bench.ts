import { sharedFilter } from '../../services/lib/protocol/sharedSubscription.js';
import { alicia, mosquitto, type Target } from './broker.bench.js';
import { fanIn, startPool, stopPool, type Pool } from './load.js';
import type { BenchSection } from './types.js';

/**
 * Fan-in through a shared subscription: the same publishers as the broker bench, received either by
 * one plain subscriber on the wildcard or by a group of two members on `$share/bench/<wildcard>`
 * (each message to one of them), on the embedded broker (electron/host/broker/sharedSubscriptions.ts)
 * and on Mosquitto, which has shared subscriptions of its own, side by side in one run. The members
 * and the plain subscriber run in one worker thread, the publishers in two others. Reported, never
 * asserted.
 */

const PAYLOAD_BYTES = 256;
const DURATION_MS = 2000;
const PUBLISHERS = 4;
const PUBLISHER_WORKERS = 2;
const ROUNDS = 2;
const GROUP = 'bench';

interface Mode {
  name: string;
  subscribers: number;
  filter: (t: Target) => string;
}

const MODES: Mode[] = [
  { name: 'plain subscriber', subscribers: 1, filter: (t) => t.filter },
  { name: `$share group of 2`, subscribers: 2, filter: (t) => sharedFilter(GROUP, t.filter) },
];

interface Cell {
  rate: number;
  loss: number;
  cpuUsPerMsg: number;
  /** share of the messages each subscriber received */
  split: number[];
}

const empty = (): Cell => ({ rate: 0, loss: 0, cpuUsPerMsg: NaN, split: [] });

async function measure(pool: Pool, t: Target, m: Mode, qos: 0 | 1): Promise<Cell> {
  let cpu0 = NaN;
  const r = await fanIn(pool, {
    url: t.url,
    qos,
    topicPrefix: t.topicPrefix,
    filter: m.filter(t),
    subscribers: m.subscribers,
    subAuth: t.subAuth,
    pubAuth: t.pubAuth,
    publishers: PUBLISHERS,
    payloadBytes: PAYLOAD_BYTES,
    durationMs: DURATION_MS,
    beforeGo: () => (cpu0 = t.cpuMs()),
  });
  const cpuUsPerMsg = r.received > 0 ? ((t.cpuMs() - cpu0) * 1000) / r.received : NaN;
  return { rate: r.rate, loss: r.loss, cpuUsPerMsg, split: r.perClient.map((n) => (r.received > 0 ? n / r.received : 0)) };
}

export async function run(): Promise<BenchSection> {
  const errors: string[] = [];
  const targets: Target[] = [];
  const starts: [string, () => Promise<Target>][] = [
    ['alicia', () => alicia({}, 'AliciaBroker, default window 20 / queue 1,000')],
    [
      'alicia unbounded',
      () => alicia({ sharedInflightWindow: 65_535, sharedMaxQueued: 10_000_000 }, 'AliciaBroker, window and queue unbounded'),
    ],
    ['mosquitto', mosquitto],
  ];
  for (const [name, start] of starts) {
    try {
      targets.push(await start());
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  const pool = startPool(PUBLISHER_WORKERS);
  // best of the rounds per target x mode x QoS: highest rate, lowest CPU per message
  const best = targets.map(() => MODES.map(() => [empty(), empty()] as [Cell, Cell]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // interleaved, the order reversed every round, so a neighbour's burst does not land on one row only
      const order = targets.flatMap((_, ti) => MODES.map((_, mi) => [ti, mi] as const));
      if (round % 2 === 1) order.reverse();
      for (const qos of [0, 1] as const) {
        for (const [ti, mi] of order) {
          const t = targets[ti]!;
          try {
            const c = await measure(pool, t, MODES[mi]!, qos);
            const b = best[ti]![mi]![qos];
            if (c.rate > b.rate) Object.assign(b, { rate: c.rate, loss: c.loss, split: c.split });
            if (!(c.cpuUsPerMsg >= b.cpuUsPerMsg)) b.cpuUsPerMsg = c.cpuUsPerMsg;
          } catch (e) {
            errors.push(`${t.name} ${MODES[mi]!.name} QoS${qos}: ${(e as Error).message}`);
          }
        }
      }
    }
  } finally {
    await stopPool(pool);
    for (const t of targets) await t.stop().catch((e: unknown) => errors.push(`${t.name} stop: ${(e as Error).message}`));
  }
  const ratio = (v: number, base: number) => (base > 0 && Number.isFinite(v) ? `${(v / base).toFixed(2)}x` : 'n/a');
  const pct = (x: number) => (x > 0.0005 ? ` (${(x * 100).toFixed(1)}% lost)` : '');
  const split = (s: number[]) => s.map((x) => `${Math.round(x * 100)}%`).join(' / ');
  return {
    title: 'Fan-in through a shared subscription group of 2 vs one plain subscriber',
    columns: [
      'broker',
      'receivers',
      'QoS0 msg/s',
      'QoS0 CPU µs/msg',
      'QoS1 msg/s',
      'QoS1 CPU µs/msg',
      'QoS1 split',
      'msg/s vs plain (0/1)',
      'CPU/msg vs plain (0/1)',
    ],
    rows: targets.flatMap((t, ti) =>
      MODES.map((m, mi) => {
        const [q0, q1] = best[ti]![mi]!;
        const [p0, p1] = best[ti]![0]!;
        return [
          t.name,
          m.name,
          Math.round(q0.rate) + pct(q0.loss),
          q0.cpuUsPerMsg.toFixed(1),
          Math.round(q1.rate) + pct(q1.loss),
          q1.cpuUsPerMsg.toFixed(1),
          split(q1.split),
          `${ratio(q0.rate, p0.rate)} / ${ratio(q1.rate, p1.rate)}`,
          `${ratio(q0.cpuUsPerMsg, p0.cpuUsPerMsg)} / ${ratio(q1.cpuUsPerMsg, p1.cpuUsPerMsg)}`,
        ];
      }),
    ),
    notes: [
      `Fan-in: ${PUBLISHERS} publishers (mqtt.js, ${PUBLISHER_WORKERS} worker threads, up to 64 publishes in flight per client) -> the receivers (one worker thread), ${PAYLOAD_BYTES} B JSON, ${DURATION_MS / 1000} s per run, interleaved, best of ${ROUNDS}; msg/s = messages received by all receivers / time from the first publish to the last receipt. Every message reaches exactly one receiver in both modes.`,
      `Shared: both members subscribe to ${sharedFilter(GROUP, '<the wildcard>')}; "split" is the share of the messages each member received. AliciaBroker: publishers authenticate as device-manager, receivers as stt (the ACL judges the filter inside $share). With its defaults (broker.shared_subscriptions: 20 unacknowledged QoS 1 messages per member, 1,000 waiting per group) a flood faster than the members acknowledge overflows the group's queue: the oldest waiting messages are dropped and counted (shared_dropped), shown as "lost" (and the CPU spent on them counts in CPU/msg); the plain subscriber has no such bound (Aedes buffers for it without limit). The unbounded row lifts both bounds, as the Mosquitto row does (max_inflight_messages / max_queued_messages 0); Mosquitto has its own $share support, no auth.`,
      'CPU µs/msg: CPU time of the broker (its main thread for AliciaBroker, the mosquitto process) during a run divided by messages delivered, lowest of the rounds. "vs plain" compares each broker with itself: < 1.00x msg/s means the group delivered slower than one plain subscriber.',
      'The machine is shared: compare rows of one run, not runs.',
      ...errors.map((e) => `FAILED ${e}`),
    ],
  };
}

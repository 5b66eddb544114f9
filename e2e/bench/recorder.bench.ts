import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Credentials } from '../../electron/host/broker/credentials.js';
import { openRecorderDb } from '../../electron/host/recorder/db.js';
import { answerRecorderRequest } from '../../electron/host/recorder/queries.js';
import type { BusPacket } from '../../electron/host/broker/types.js';
import { Recorder } from '../../electron/host/recorder/recorder.js';
import { RecorderStore } from '../../electron/host/recorder/store.js';
import { mainThreadCpuMs } from '../../electron/host/recorder/threadCpu.js';
import { seal } from '../../services/lib/protocol/envelope.js';
import { benchBroker, fanIn, startPool, stopPool, type Pool } from './load.js';
import { quantile } from './stats.js';
import { hookBus } from '../support/hookBus.js';
import { sleep } from '../support/host.js';
import type { BenchSection } from './types.js';

/**
 * Recorder benchmarks, in one run:
 *  1. sustained persisted ingest: 256 B envelope payloads pushed into the recorder's publish hook
 *     as fast as it takes them, timed until every row is committed (the write path alone);
 *     then a steady 20k msg/s through the hook, event-loop delay of that thread recorder off / on;
 *  2. broker fan-in throughput and the broker thread's event-loop delay (p99, max) with the
 *     recorder off and on, alternating, same process, same load (4 publishers in 2 worker threads -> 1 wildcard subscriber, QoS 0, 256 B; the load
 *     generator is broker.bench's brokerLoad.worker);
 *  3. history queries on a 1,000,000-row database built with one SQL bulk insert.
 * Reported, never asserted.
 */

const PAYLOAD_BYTES = 256;
const INGEST_N = 100_000;
const FANIN_MS = 2500;
/** offered load of the fan-in runs: the rate at which recording must cost delivery less than 10 % */
const FANIN_RATE = 30_000;
/** and a load this 2-core machine carries with headroom */
const FANIN_RATE_LOW = 20_000;
const ROWS_1M = 1_000_000;

function payload(seq: number): Buffer {
  const head = JSON.stringify(seal({ seq }, { source: 'bench', trace_id: `t${seq % 50_000}` }));
  return Buffer.from(`${head.slice(0, -1)},"pad":"${'x'.repeat(Math.max(0, PAYLOAD_BYTES - head.length - 10))}"}`);
}

/** Pre-built 256 B envelopes, one per sequence number mod 1000. */
const PAYLOADS = Array.from({ length: 1000 }, (_, i) => payload(i));

/** Message `seq` as the broker would hand it to the publish hook: 20 topics, the payloads above. */
function packet(seq: number): BusPacket {
  return {
    topic: `alicia/device/status/d${seq % 20}`,
    payload: PAYLOADS[seq % 1000]!,
    qos: 0,
    retain: false,
    clientId: 'bench',
    principal: 'operator',
    time: Date.now(),
  };
}

async function ingest(dir: string): Promise<{ rate: number; dropped: number; maxFlushMs: number; mbps: number; delay: LoopDelay }> {
  const { bus, emit } = hookBus();
  const rec = new Recorder({ dbPath: join(dir, 'ingest.db'), bus, maxQueue: INGEST_N, flushIntervalMs: 50 });
  await rec.start();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  // 2,000 messages per event-loop turn: a broker delivering flat out
  for (let i = 0; i < INGEST_N; i++) {
    emit(packet(i));
    if (i % 2000 === 1999) await yieldToLoop();
  }
  while (rec.stats().written + rec.stats().dropped < INGEST_N) await sleep(5);
  const s = (performance.now() - t0) / 1000;
  h.disable();
  const st = rec.stats();
  await rec.stop();
  return {
    rate: st.written / s,
    dropped: st.dropped,
    maxFlushMs: st.max_flush_ms,
    mbps: (st.written * PAYLOAD_BYTES) / s / 1e6,
    delay: loopDelay(h),
  };
}

const PACED_RATE = 20_000;
const PACED_MS = 3000;

/**
 * The broker's thread as the recorder sees it at a steady PACED_RATE msg/s (200 messages every
 * 10 ms through the publish hook, no broker, no load generator): event-loop delay with the
 * recorder on vs a no-op listener. Far less CPU than the fan-in run, so on a shared machine it
 * isolates the recorder's own pauses (before the writer thread: each batch's insert ran here).
 */
async function paced(
  dir: string,
  withRecorder: boolean,
): Promise<{ delay: LoopDelay; written: number; dropped: number; maxPackMs: number }> {
  const { bus, emit } = hookBus();
  const rec = withRecorder ? new Recorder({ dbPath: join(dir, `paced-${Date.now()}.db`), bus }) : null;
  await rec?.start();
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const perTick = PACED_RATE / 100;
  let seq = 0;
  const t0 = performance.now();
  await new Promise<void>((res) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick; i++, seq++) {
        emit(packet(seq));
      }
      if (performance.now() - t0 >= PACED_MS) {
        clearInterval(timer);
        res();
      }
    }, 10);
  });
  h.disable();
  const st = rec?.stats();
  await rec?.stop();
  return { delay: loopDelay(h), written: st?.written ?? 0, dropped: st?.dropped ?? 0, maxPackMs: st?.max_pack_ms ?? NaN };
}

/** Event-loop delay of this (the broker's) thread, in ms: how long the broker could not run. */
interface LoopDelay {
  p99: number;
  max: number;
}

function loopDelay(h: IntervalHistogram): LoopDelay {
  // The histogram is in ns; it includes the sampling resolution (a 10 ms timer late by d shows d).
  return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/** Messages/s delivered to the wildcard subscriber at `ratePerSecond` offered (0: the 4 publishers flat out). */
async function fanInRun(
  pool: Pool,
  url: string,
  c: ReturnType<Credentials['all']>,
  rec: Recorder | null,
  ratePerSecond = FANIN_RATE,
): Promise<{
  rate: number;
  delay: LoopDelay;
  brokerCpuUs: number;
  writerCpuUs: number;
  lagRows: number;
  catchUpMs: number;
}> {
  // perf_hooks.monitorEventLoopDelay: a timer on this thread that records how late it fires,
  // i.e. the longest stretch the broker's event loop was held (https://nodejs.org/api/perf_hooks.html).
  const h = monitorEventLoopDelay({ resolution: 10 });
  let cpu0 = NaN;
  let w0 = NaN;
  const r = await fanIn(pool, {
    url,
    qos: 0,
    topicPrefix: 'alicia/device/status/bench_',
    filter: 'alicia/device/status/+',
    subAuth: [c.stt],
    pubAuth: [c['device-manager']],
    publishers: 4,
    payloadBytes: PAYLOAD_BYTES,
    durationMs: FANIN_MS,
    ratePerSecond,
    freshIds: true,
    pollMs: 100,
    beforeGo: () => {
      h.enable();
      cpu0 = mainThreadCpuMs() ?? NaN;
      w0 = rec?.stats().writer_cpu_ms ?? NaN;
    },
  });
  h.disable();
  // Rows not yet committed when the last message was delivered: how far the writer (at a lower
  // priority) fell behind; then wait until it has caught up (its CPU counts).
  const lagRows = rec?.stats().queued ?? 0;
  const c0 = performance.now();
  if (rec) await rec.flushAll();
  const catchUpMs = rec ? performance.now() - c0 : 0;
  const brokerCpuUs = (((mainThreadCpuMs() ?? NaN) - cpu0) * 1000) / Math.max(1, r.received);
  const writerCpuUs = rec ? (((rec.stats().writer_cpu_ms ?? NaN) - w0) * 1000) / Math.max(1, r.received) : 0;
  return { rate: r.rate, delay: loopDelay(h), brokerCpuUs, writerCpuUs, lagRows, catchUpMs };
}

/** Build a 1M-row recorder database in SQL: 20 topics, 100k traces of 10 messages, 1 ms apart. */
function build1M(path: string, start: number): number {
  const t0 = performance.now();
  const db = openRecorderDb(path);
  // Bulk load the way SQLite is fastest: rows first, then each index built by one sort (not 1M
  // random B-tree inserts into the trace index), with a big page cache.
  const indexes = (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL").all() as {
      sql: string;
    }[]
  ).map((r) => r.sql);
  db.pragma('cache_size = -262144');
  db.exec(`
    DROP INDEX messages_time; DROP INDEX messages_topic_time; DROP INDEX messages_trace; DROP INDEX messages_session;
    WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 19)
    INSERT INTO topics (ref, topic, n, bytes, last_time) SELECT x + 1, 'alicia/device/status/d' || x, 0, 0, 0 FROM c;
    WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 99999)
    INSERT INTO refs (ref, key) SELECT x + 1, 'tr' || x FROM c;
    WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS_1M - 1})
    INSERT INTO messages (time, topic_ref, payload, size, truncated, qos, retain, client_id, principal, msg_id, trace_ref, correlation_id, session_ref, source)
    SELECT ${start} + x, (x % 20) + 1,
      CAST('{"v":"1.0","id":"m' || x || '","trace_id":"tr' || ((x * 7919) % 100000) || '","pad":"' || hex(zeroblob(90)) || '"}' AS BLOB),
      256, 0, 1, 0, 'bench', 'operator', 'm' || x, ((x * 7919) % 100000) + 1, NULL, NULL, 'bench'
    FROM c;
    UPDATE topics SET (n, bytes, last_time) = (SELECT count(*), sum(size), max(time) FROM messages WHERE topic_ref = topics.ref);
  `);
  for (const sql of indexes) db.exec(sql);
  db.close();
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<BenchSection> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-recorder-bench-'));
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  try {
    // 1. ingest (checkpoints every 1000 WAL pages happen inside some commits: the longest batch shows that pause)
    const ing = process.env.SKIP_INGEST ? { rate: 0, mbps: 0, dropped: 0, maxFlushMs: 0, delay: { p99: 0, max: 0 } } : await ingest(dir);
    rows.push([
      'persisted ingest, 256 B payloads (recorder write path alone)',
      `${Math.round(ing.rate)} msg/s`,
      `${ing.mbps.toFixed(1)} MB/s payload; dropped ${ing.dropped}; longest batch ${ing.maxFlushMs.toFixed(1)} ms`,
    ]);
    rows.push([
      'enqueuing thread event-loop delay during that ingest',
      `max ${ing.delay.max.toFixed(1)} ms`,
      `p99 ${ing.delay.p99.toFixed(1)} ms (includes the 2,000-message enqueue bursts)`,
    ]);

    process.stderr.write(
      `recorder bench: ingest ${Math.round(ing.rate)} msg/s, loop delay p99 ${ing.delay.p99.toFixed(1)} max ${ing.delay.max.toFixed(1)} ms\n`,
    );

    // 1b. steady 20k msg/s through the hook: event-loop delay, recorder off / on, alternating
    const pOff: LoopDelay[] = [];
    const pOn: LoopDelay[] = [];
    let pInfo = '';
    for (let round = 0; round < 2; round++) {
      pOff.push((await paced(dir, false)).delay);
      const r = await paced(dir, true);
      pOn.push(r.delay);
      pInfo = `written ${r.written}, dropped ${r.dropped}, longest batch copy on this thread ${r.maxPackMs.toFixed(2)} ms`;
    }
    const fmtD = (ds: LoopDelay[]) => ds.map((d) => `${d.p99.toFixed(1)}/${d.max.toFixed(1)}`).join(', ');
    rows.push([
      `steady ${PACED_RATE / 1000}k msg/s into the hook: event-loop delay p99/max, recorder off`,
      `max ${Math.max(...pOff.map((d) => d.max)).toFixed(1)} ms`,
      `${fmtD(pOff)} ms per round`,
    ]);
    rows.push([
      `steady ${PACED_RATE / 1000}k msg/s into the hook: event-loop delay p99/max, recorder on`,
      `max ${Math.max(...pOn.map((d) => d.max)).toFixed(1)} ms`,
      `${fmtD(pOn)} ms per round; ${pInfo}`,
    ]);
    process.stderr.write(`recorder bench: paced loop delay p99/max off ${fmtD(pOff)} on ${fmtD(pOn)} ms; ${pInfo}\n`);
    // 2. fan-in, recorder off / on, alternating
    const bdir = join(dir, 'broker');
    const { broker, credentials } = await benchBroker(bdir);
    const c = credentials.all();
    const pool = startPool(2);
    const off: number[] = [];
    const on: number[] = [];
    const offDelay: LoopDelay[] = [];
    const onDelay: LoopDelay[] = [];
    let recStats = { written: 0, dropped: 0 };
    const cpuOff: number[] = [];
    const cpuOn: number[] = [];
    const cpuWriter: number[] = [];
    const lags: number[] = [];
    const catchUps: number[] = [];
    let writerNice: number | null = null;
    const lowOff: number[] = [];
    const lowOn: number[] = [];
    const maxOff: number[] = [];
    const maxOn: number[] = [];
    const runOff = async () => {
      const o = await fanInRun(pool, broker.addresses.mqttUrl, c, null);
      off.push(o.rate);
      offDelay.push(o.delay);
      cpuOff.push(o.brokerCpuUs);
    };
    const runOn = async (round: number) => {
      const rec = new Recorder({ dbPath: join(dir, `fanin-${round}.db`), bus: broker });
      await rec.start();
      const r = await fanInRun(pool, broker.addresses.mqttUrl, c, rec);
      on.push(r.rate);
      onDelay.push(r.delay);
      cpuOn.push(r.brokerCpuUs);
      cpuWriter.push(r.writerCpuUs);
      lags.push(r.lagRows);
      catchUps.push(r.catchUpMs);
      const st = rec.stats();
      writerNice = st.writer_nice;
      recStats = { written: recStats.written + st.written, dropped: recStats.dropped + st.dropped };
      await rec.stop();
    };
    try {
      // Off/on pairs, the order flipped every round so drift in the machine's load cancels out.
      // RECORDER_BENCH_ROUNDS: more pairs on a noisy machine.
      for (let round = 0; round < Number(process.env.RECORDER_BENCH_ROUNDS ?? 6); round++) {
        if (round % 2 === 0) {
          await runOff();
          await runOn(round);
        } else {
          await runOn(round);
          await runOff();
        }
      }
      // Rates only, 4 pairs (the 30k set above is the headline): `rate` msg/s offered, 0 = flat out.
      const ratePairs = async (rate: number, name: string, off: number[], on: number[]) => {
        for (let round = 0; round < 4; round++) {
          for (const withRec of round % 2 === 0 ? [false, true] : [true, false]) {
            const rec = withRec ? new Recorder({ dbPath: join(dir, `fanin-${name}-${round}.db`), bus: broker }) : null;
            await rec?.start();
            (withRec ? on : off).push((await fanInRun(pool, broker.addresses.mqttUrl, c, rec, rate)).rate);
            await rec?.stop();
          }
        }
      };
      // The same pairs at a load with headroom.
      await ratePairs(FANIN_RATE_LOW, 'low', lowOff, lowOn);
      // Capacity: the publishers flat out (up to 64 publishes in flight per client), where this
      // machine saturates and the recorder's CPU (copy on the broker's thread, the writer thread)
      // competes with the broker and the load generator for the two cores.
      await ratePairs(0, 'max', maxOff, maxOn);
    } finally {
      await stopPool(pool);
      await broker.stop();
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratios = on.map((x, i) => x / off[i]!);
    const median = quantile(ratios, 0.5);
    rows.push([
      `broker fan-in at ${FANIN_RATE / 1000}k msg/s offered, recorder off (4 pub -> 1 wildcard sub, QoS 0, auth+ACL)`,
      `${Math.round(quantile(off, 0.5))} msg/s`,
      `median delivered; ${off.map((x) => Math.round(x)).join(', ')}`,
    ]);
    rows.push([
      `broker fan-in at ${FANIN_RATE / 1000}k msg/s offered, recorder on`,
      `${Math.round(quantile(on, 0.5))} msg/s`,
      `median delivered; ${on.map((x) => Math.round(x)).join(', ')}; recorded ${recStats.written}, dropped ${recStats.dropped}`,
    ]);
    rows.push([
      'on / off delivered ratio (median of the off/on pairs)',
      median.toFixed(3),
      `cost ${((1 - median) * 100).toFixed(1)} % (target < 10 %); pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}; ratio of means ${(mean(on) / mean(off)).toFixed(3)}`,
    ]);
    const lowRatios = lowOn.map((x, i) => x / lowOff[i]!);
    rows.push([
      `the same at ${FANIN_RATE_LOW / 1000}k msg/s offered: on / off delivered ratio (median of pairs)`,
      quantile(lowRatios, 0.5).toFixed(3),
      `off ${lowOff.map((x) => Math.round(x)).join(', ')}; on ${lowOn.map((x) => Math.round(x)).join(', ')} msg/s; pairs ${lowRatios.map((r) => r.toFixed(2)).join(', ')}`,
    ]);
    const maxRatios = maxOn.map((x, i) => x / maxOff[i]!);
    rows.push([
      'capacity, publishers flat out: on / off delivered ratio (median of pairs)',
      quantile(maxRatios, 0.5).toFixed(3),
      `off ${maxOff.map((x) => Math.round(x)).join(', ')}; on ${maxOn.map((x) => Math.round(x)).join(', ')} msg/s; pairs ${maxRatios.map((r) => r.toFixed(2)).join(', ')}`,
    ]);
    rows.push([
      'writer behind when the last message was delivered (rows), then caught up in',
      `max ${Math.max(...lags)} rows`,
      `${lags.join(', ')} rows; ${catchUps.map((x) => Math.round(x)).join(', ')} ms per round (writer nice ${writerNice ?? 'n/a'})`,
    ]);
    const fmtUs = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    rows.push([
      "CPU per delivered message: broker's thread, recorder off",
      `${quantile(cpuOff, 0.5).toFixed(1)} µs`,
      `median; ${fmtUs(cpuOff)} µs per round`,
    ]);
    rows.push([
      "CPU per delivered message: broker's thread, recorder on (copy into the open batch, hand-over)",
      `${quantile(cpuOn, 0.5).toFixed(1)} µs`,
      `median; ${fmtUs(cpuOn)} µs per round`,
    ]);
    rows.push([
      'CPU per delivered message: writer thread',
      `${quantile(cpuWriter, 0.5).toFixed(1)} µs`,
      `median; ${fmtUs(cpuWriter)} µs per round`,
    ]);
    const fmtDelay = (ds: LoopDelay[]) => ds.map((d) => `${d.p99.toFixed(1)}/${d.max.toFixed(1)}`).join(', ');
    rows.push([
      'broker thread event-loop delay p99/max, recorder off',
      `max ${Math.max(...offDelay.map((d) => d.max)).toFixed(1)} ms`,
      `${fmtDelay(offDelay)} ms per round`,
    ]);
    rows.push([
      'broker thread event-loop delay p99/max, recorder on',
      `max ${Math.max(...onDelay.map((d) => d.max)).toFixed(1)} ms`,
      `${fmtDelay(onDelay)} ms per round`,
    ]);

    process.stderr.write(
      `recorder bench: fan-in off ${off.map(Math.round).join('/')} on ${on.map(Math.round).join('/')}; lag ${lags.join('/')} rows; cpu µs/msg broker off ${fmtUs(cpuOff)} on ${fmtUs(cpuOn)} writer ${fmtUs(cpuWriter)}; loop delay p99/max off ${fmtDelay(offDelay)} on ${fmtDelay(onDelay)} ms\n`,
    );
    // 3. queries on 1M rows (SKIP_1M: only the write-path measurements above)
    if (process.env.SKIP_1M) return { title: 'Recorder (SQLite history)', columns: ['measure', 'result', 'detail'], rows, notes };
    const path = join(dir, 'million.db');
    const start1M = Date.now() - ROWS_1M;
    const buildS = build1M(path, start1M);
    const db = openRecorderDb(path);
    const store = new RecorderStore(db, 256 * 1024);
    const traceMs: number[] = [];
    const busMs: number[] = [];
    let found = 0;
    for (let i = 0; i < 300; i++) {
      const trace = `tr${(i * 331) % 100_000}`;
      const t0 = performance.now();
      found += store.page({ traceId: trace, order: 'asc', limit: 1001, payload: 64 * 1024 }).messages.length;
      traceMs.push(performance.now() - t0);
    }
    const bounds = { maxResponseBytes: 1 << 20, maxInlinePayload: 64 * 1024 };
    for (let i = 0; i < 100; i++) {
      const req = Buffer.from(
        JSON.stringify(seal({ query: 'trace', trace: `tr${(i * 977) % 100_000}` }, { source: 'bench', correlation_id: `c${i}` })),
      );
      const t0 = performance.now();
      const r = await answerRecorderRequest(store, req, bounds, () => ({}));
      JSON.stringify(seal(r.body, { source: 'recorder', correlation_id: r.correlation_id }));
      busMs.push(performance.now() - t0);
    }
    const pageMs: number[] = [];
    let cursor: { time: number; id: number } | undefined;
    const { compileFilter } = await import('../../electron/host/recorder/filter.js');
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const p = store.page({
        filter: compileFilter('alicia/device/status/+'),
        order: 'desc',
        limit: 100,
        after: cursor,
        payload: 64 * 1024,
      });
      pageMs.push(performance.now() - t0);
      cursor = p.next ?? undefined;
    }
    // The window's topic history: one topic, newest first from the middle of the table (a time
    // range's end), 100 rows a page with 300-byte previews, through the whole request path; then
    // one of those rows whole, as opening a history entry asks for it.
    const historyMs: number[] = [];
    const rowMs: number[] = [];
    const rowIds: number[] = [];
    let hcursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const body = { query: 'messages', topic: 'alicia/device/status/d7', to: start1M + ROWS_1M / 2, limit: 100, payload_bytes: 300 };
      const req = Buffer.from(
        JSON.stringify(seal({ ...body, ...(hcursor ? { cursor: hcursor } : {}) }, { source: 'bench', correlation_id: `h${i}` })),
      );
      const t0 = performance.now();
      const r = await answerRecorderRequest(store, req, bounds, () => ({}));
      historyMs.push(performance.now() - t0);
      hcursor = (r.body.next_cursor as string | null) ?? undefined;
      rowIds.push(...(r.body.messages as { id: number }[]).map((m) => m.id));
    }
    for (let i = 0; i < 300; i++) {
      const req = Buffer.from(
        JSON.stringify(seal({ query: 'message', row: rowIds[(i * 37) % rowIds.length]! }, { source: 'bench', correlation_id: `r${i}` })),
      );
      const t0 = performance.now();
      await answerRecorderRequest(store, req, bounds, () => ({}));
      rowMs.push(performance.now() - t0);
    }
    db.close();
    rows.push([
      '1M-row database built (SQL bulk insert, then 4 indexes)',
      `${buildS.toFixed(1)} s`,
      '20 topics, 100k traces x 10 messages',
    ]);
    rows.push([
      'trace query on 1M rows (store, 10 messages)',
      `p50 ${quantile(traceMs, 0.5).toFixed(2)} ms`,
      `p95 ${quantile(traceMs, 0.95).toFixed(2)} ms, max ${Math.max(...traceMs).toFixed(2)} ms over 300 traces (${found} rows)`,
    ]);
    rows.push([
      'trace request -> sealed response body (validate, query, pack)',
      `p50 ${quantile(busMs, 0.5).toFixed(2)} ms`,
      `p95 ${quantile(busMs, 0.95).toFixed(2)} ms (target < 10 ms)`,
    ]);
    rows.push([
      "messages page 'alicia/device/status/+', 100 rows, desc, keyset",
      `p50 ${quantile(pageMs, 0.5).toFixed(2)} ms`,
      `p95 ${quantile(pageMs, 0.95).toFixed(2)} ms over 50 consecutive pages`,
    ]);
    rows.push([
      'topic history request: one topic, 100 rows desc from mid-table, 300 B previews (validate, query, pack)',
      `p50 ${quantile(historyMs, 0.5).toFixed(2)} ms`,
      `p95 ${quantile(historyMs, 0.95).toFixed(2)} ms over 50 consecutive pages (${rowIds.length} rows)`,
    ]);
    rows.push([
      'one message by row, whole payload (the message query)',
      `p50 ${quantile(rowMs, 0.5).toFixed(2)} ms`,
      `p95 ${quantile(rowMs, 0.95).toFixed(2)} ms over 300 rows`,
    ]);
    notes.push(
      "Ingest feeds the recorder's onPublish hook directly (2,000 messages per event-loop turn) and waits for the last commit: WAL, synchronous=NORMAL, 8,000-row transactions.",
      "Fan-in: the same embedded broker runs off/on pairs, the order flipped every pair; 4 mqtt.js publishers in 2 worker threads offer 30,000 msg/s in all (paced every 2 ms; 256 B envelopes, a new message id per message and a new trace id every 10) to 1 wildcard subscriber in its own worker thread; delivered = received / max(run, first publish to last receipt). The recorder copies each message into the open batch on the broker's thread; its writer thread runs at nice 19 and catches up after the run (writer behind / caught up).",
      "Headroom: the broker sends each client's writes of one event-loop turn in one syscall (electron/host/broker/socketWrites.ts). Before that it spent ~30 µs of its thread per delivered message here (now ~22), 30k msg/s was all this 2-core machine could deliver with the recorder off, and the on/off ratio at 30k measured saturation (0.84 to 0.95 over runs). Capacity (publishers flat out) is where the recorder's CPU shows: the copy on the broker's thread and the writer thread (nice 19, which only yields to busy threads) share the two cores with the broker and the load generator.",
      "Event-loop delay: perf_hooks.monitorEventLoopDelay on the broker's thread (10 ms resolution in fan-in, 5 ms in the steady run): how long the broker could not run. On a shared, overloaded machine descheduling shows up here too: compare on vs off within one run.",
      'Machine: 2 cores shared with other work; compare the on/off pair, not absolute figures across runs.',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { title: 'Recorder (SQLite history)', columns: ['measure', 'result', 'detail'], rows, notes };
}

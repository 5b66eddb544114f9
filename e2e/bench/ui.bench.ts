import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';
import { startHost } from '../support/host.js';
import { quantile } from './stats.js';
import type { BenchSection } from './types.js';
import type { UiLoadConfig, UiLoadReport } from './uiLoad.worker.js';

/**
 * The control center under load: Debian Chromium on the Topics view of the real
 * headless host while a publisher sends RATE msg/s across TOPICS topics for DURATION. Reported:
 *  - frame time p50/p95 from requestAnimationFrame deltas recorded inside the page;
 *  - dropped updates: messages under bench/ that the UI's tree shows (its count on the bench row)
 *    vs messages sent, after the load stops and the UI settles;
 *  - JS heap used (CDP Performance.getMetrics) at the end, and its peak during the run.
 * Env: ALICIA_BENCH_UI_RATE, ALICIA_BENCH_UI_TOPICS, ALICIA_BENCH_UI_SECONDS override the 10k/20k/30.
 */
const RATE = Number(process.env.ALICIA_BENCH_UI_RATE ?? 10_000);
const TOPICS = Number(process.env.ALICIA_BENCH_UI_TOPICS ?? 20_000);
const SECONDS = Number(process.env.ALICIA_BENCH_UI_SECONDS ?? 30);
/** ALICIA_BENCH_UI_PROFILE=<file.cpuprofile>: record the page's JS CPU profile while publishing (adds overhead). */
const PROFILE = process.env.ALICIA_BENCH_UI_PROFILE;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function from a CDP Profiler profile (samples x interval), largest first. */
function topSelfTime(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, n: number): string[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)?.callFrame;
    const key = f ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}` : '?';
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((us / total) * 100).toFixed(1)}% ${k}`);
}

export async function run(): Promise<BenchSection> {
  const host = await startHost();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    // rAF deltas are recorded by the page itself, so the driver's own latency does not count.
    await page.addInitScript(() => {
      const w = window as unknown as {
        __frames: number[];
        __recording: boolean;
        __wsFrames: number;
        __wsBytes: number;
        __wsOpened: number;
        __wsBenchPublishes: number;
      };
      w.__frames = [];
      w.__recording = false;
      // WebSocket frames the page receives (one 'message' event per frame), counted by a listener
      // added to every socket: the transport cost per MQTT message, measured where it is paid.
      w.__wsFrames = 0;
      w.__wsBytes = 0;
      w.__wsOpened = 0;
      // PUBLISH packets for bench/ topics in the received bytes (MQTT 3.1.1 section 2.2 fixed header,
      // 3.3.2 topic name), parsed across frame boundaries: tells loss before the page's socket
      // from loss inside the page.
      w.__wsBenchPublishes = 0;
      const countPublishes = (state: { carry: Uint8Array }, data: ArrayBuffer) => {
        let buf = new Uint8Array(data);
        if (state.carry.length) {
          const m = new Uint8Array(state.carry.length + buf.length);
          m.set(state.carry);
          m.set(buf, state.carry.length);
          buf = m;
        }
        let i = 0;
        for (;;) {
          let len = 0;
          let mul = 1;
          let j = i + 1;
          let ok = false;
          while (j < buf.length) {
            const b = buf[j++] as number;
            len += (b & 127) * mul;
            mul *= 128;
            if ((b & 128) === 0) {
              ok = true;
              break;
            }
          }
          if (!ok || j + len > buf.length) break;
          // 'bench/' = 98 101 110 99 104 47 after the 2-byte topic length
          if (
            (buf[i] as number) >> 4 === 3 &&
            len >= 8 &&
            buf[j + 2] === 98 &&
            buf[j + 3] === 101 &&
            buf[j + 4] === 110 &&
            buf[j + 5] === 99 &&
            buf[j + 6] === 104 &&
            buf[j + 7] === 47
          )
            w.__wsBenchPublishes++;
          i = j + len;
        }
        state.carry = buf.slice(i);
      };
      const NativeWS = window.WebSocket;
      window.WebSocket = class extends NativeWS {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          w.__wsOpened++;
          const state = { carry: new Uint8Array(0) };
          this.addEventListener('message', (e: MessageEvent) => {
            w.__wsFrames++;
            const d = e.data as ArrayBuffer | Blob | string;
            if (d instanceof ArrayBuffer) countPublishes(state, d);
            w.__wsBytes += typeof d === 'string' ? d.length : d instanceof ArrayBuffer ? d.byteLength : d.size;
          });
        }
      };
      let last = 0;
      const tick = (t: number) => {
        if (w.__recording && last) w.__frames.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.goto(`${host.runtime.http.url}#/topics`);
    await page.locator('[data-testid="connection"][data-status="connected"]').waitFor({ timeout: 20_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      const m: { metrics: { name: string; value: number }[] } = await cdp.send('Performance.getMetrics');
      return m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? NaN;
    };
    const heapBefore = await heap();
    // Broker side: $SYS/alicia/broker/stats (every 5 s) carries messages_out, the PUBLISHes the
    // broker handed to subscribers' connections. Only the window subscribes to '#', so its growth
    // over the run is (to within the few service messages) what the broker delivered to the window.
    const statsClient = await mqtt.connectAsync(host.runtime.mqtt.url, {
      username: host.runtime.mqtt.username,
      password: host.runtime.mqtt.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    type Stats = { messages_in: number; messages_out: number; at: number };
    let stats: Stats | null = null;
    statsClient.on('message', (_t, p) => {
      try {
        const m = JSON.parse(p.toString()) as { messages_in: number; messages_out: number };
        stats = { messages_in: m.messages_in, messages_out: m.messages_out, at: Date.now() };
      } catch {
        /* not JSON: ignore */
      }
    });
    await statsClient.subscribeAsync('$SYS/alicia/broker/stats', { qos: 0 });
    const freshStats = async (after: number) => {
      for (let i = 0; i < 80 && !(stats && stats.at > after); i++) await new Promise((r) => setTimeout(r, 100));
      return stats;
    };
    const statsBefore = await freshStats(0);
    const wsFrames = () =>
      page.evaluate(() => {
        const w = window as unknown as { __wsFrames: number; __wsBytes: number; __wsOpened: number; __wsBenchPublishes: number };
        return { frames: w.__wsFrames, bytes: w.__wsBytes, opened: w.__wsOpened, benchPublishes: w.__wsBenchPublishes };
      });
    const countAt = async () =>
      Number(
        (await page
          .locator('[data-topic="bench"] .tcount')
          .getAttribute('data-count')
          .catch(() => '0')) ?? 0,
      );
    const countBefore = await countAt();
    const wsBefore = await wsFrames();

    const cfg: UiLoadConfig = {
      url: host.runtime.mqtt.url,
      username: host.runtime.mqtt.username,
      password: host.runtime.mqtt.password,
      rate: RATE,
      topics: TOPICS,
      durationMs: SECONDS * 1000,
    };
    const worker = new Worker(new URL('./uiLoad.worker.js', import.meta.url), { workerData: cfg });
    const next = () =>
      new Promise<UiLoadReport>((resolve, reject) => {
        worker.once('message', (m: UiLoadReport) => (m.type === 'error' ? reject(new Error(m.message)) : resolve(m)));
        worker.once('error', reject);
      });
    await next(); // ready
    await page.evaluate(() => ((window as unknown as { __recording: boolean }).__recording = true));
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    worker.postMessage('go');
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      void heap().then(
        (h) => (heapPeak = Math.max(heapPeak, h)),
        () => undefined,
      );
    }, 1000);
    const done = (await next()) as Extract<UiLoadReport, { type: 'done' }>;
    clearInterval(sampler);
    await worker.terminate();
    let profileTop: string[] = [];
    if (PROFILE) {
      const { profile } = (await cdp.send('Profiler.stop')) as {
        profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
      };
      writeFileSync(PROFILE, JSON.stringify(profile));
      profileTop = topSelfTime(profile, 15);
    }

    // Let the broker drain to the window: the count has settled when it has not changed for 2 s
    // (or after 20 s at most), so a slow window is measured as slow, not as lossy, and a lossy one
    // is not mistaken for slow.
    const stoppedAt = done.flushedAt;
    let shown = await countAt();
    let changedAt = stoppedAt;
    while (Date.now() - changedAt < 2000 && Date.now() - stoppedAt < 20_000) {
      await page.waitForTimeout(250);
      const v = await countAt();
      if (v !== shown) changedAt = Date.now();
      shown = v;
    }
    const caughtUpS = Math.round((changedAt - stoppedAt) / 100) / 10;
    const wsAfter = await wsFrames();
    const statsAfter = await freshStats(Date.now());
    await statsClient.endAsync(true).catch(() => undefined);
    const counted = shown - countBefore;
    // the broker's own account of the window's connection (lost, disconnected, drain timeout ...)
    const windowConnLog = host
      .output()
      .split('\n')
      .filter((l) => l.includes('"clientId":"window-') && /lost|disconnect|drain|error/i.test(l))
      .map((l) => l.slice(0, 300));
    const delivered = statsBefore && statsAfter ? statsAfter.messages_out - statsBefore.messages_out : NaN;
    const received = statsBefore && statsAfter ? statsAfter.messages_in - statsBefore.messages_in : NaN;
    const wsFramesRun = wsAfter.frames - wsBefore.frames;
    const frames = await page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __recording: boolean };
      w.__recording = false;
      return w.__frames;
    });
    const topicsShown = Number((await page.getByTestId('topic-stats').getAttribute('data-topics')) ?? 0);
    const heapEnd = await heap();
    const sorted = [...frames].sort((a, b) => a - b);
    const sendSeconds = (done.endedAt - done.startedAt) / 1000;
    const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
    return {
      title: `Control center under load (Chromium, Topics view, ${RATE.toLocaleString('en-US')} msg/s over ${TOPICS.toLocaleString('en-US')} topics for ${SECONDS} s)`,
      columns: ['metric', 'value', 'target'],
      rows: [
        ['messages sent', done.sent, ''],
        ['publisher clients / disconnected by the broker', `${done.clients} / ${done.disconnects}`, '/ 0'],
        ['achieved publish rate (msg/s)', Math.round(done.sent / sendSeconds), RATE],
        [
          'publisher sockets: bytes still unwritten when the bench went on / s spent flushing',
          `${done.unflushed} / ${Math.round((done.flushedAt - done.endedAt) / 100) / 10}`,
          '0 / ',
        ],
        ['broker: PUBLISHes received during the run ($SYS stats messages_in)', received, `~${done.sent}`],
        ['broker: PUBLISHes forwarded to subscribers during the run ($SYS stats)', delivered, `~${done.sent}`],
        [
          'WebSocket connections the page opened during the run (a reconnect loses in-flight messages)',
          wsAfter.opened - wsBefore.opened,
          0,
        ],
        ["PUBLISHes under bench/ in the bytes the page's WebSocket received", wsAfter.benchPublishes - wsBefore.benchPublishes, done.sent],
        ['WebSocket frames the page received', wsFramesRun, ''],
        [
          'WebSocket frames per message (frames / messages counted)',
          counted > 0 ? Math.round((wsFramesRun / counted) * 100) / 100 : NaN,
          '',
        ],
        ['WebSocket bytes the page received (MB)', Math.round(((wsAfter.bytes - wsBefore.bytes) / 1024 / 1024) * 10) / 10, ''],
        ['messages the tree counts under bench/', counted, done.sent],
        ['dropped updates (sent - counted)', done.sent - counted, 0],
        ['UI count still rising after the publisher stopped (s)', caughtUpS, ''],
        ['topics in the tree (all)', topicsShown, `>= ${TOPICS}`],
        ['frames recorded', frames.length, ''],
        ['frame time p50 (ms)', Math.round(quantile(sorted, 0.5) * 10) / 10, ''],
        ['frame time p95 (ms)', Math.round(quantile(sorted, 0.95) * 10) / 10, '< 33'],
        ['frame time max (ms)', Math.round((sorted[sorted.length - 1] ?? NaN) * 10) / 10, ''],
        ['JS heap before (MB)', mb(heapBefore), ''],
        ['JS heap peak (MB)', mb(heapPeak), '< 300'],
        ['JS heap at end (MB)', mb(heapEnd), '< 300'],
      ],
      notes: [
        `${done.clients} mqtt.js publishers (one worker thread, TCP, QoS 0) -> the host's Aedes broker (which also records every message to SQLite) -> the window over WebSocket (subscribed to # at QoS 1).`,
        'Frame times are requestAnimationFrame deltas measured in the page from the start of publishing until the tree settled; headless Chromium with --disable-gpu.',
        'Dropped = sent minus the bench/ count the tree shows, read once it has not changed for 2 s (20 s at most) after the publisher stopped; the count includes messages whose history the window has evicted (bounded memory), so eviction is not loss.',
        'Broker forwarded = growth of messages_out in $SYS/alicia/broker/stats over the run (all subscribers; only the window subscribes to bench/), so sent - forwarded is lost before the broker and forwarded - counted is lost or late between the broker and the tree.',
        ...(windowConnLog.length ? [`Broker log about the window's connection: ${windowConnLog.slice(-5).join(' | ')}`] : []),
        ...(PROFILE ? [`Page CPU profile while publishing (self time, ${PROFILE}): ${profileTop.join('; ')}`] : []),
        'WebSocket frames are counted in the page by a message listener on every WebSocket (MQTT over WebSocket allows several MQTT packets, or part of one, per frame: MQTT 3.1.1 section 6).',
      ],
    };
  } finally {
    await browser.close();
    await host.stop();
  }
}

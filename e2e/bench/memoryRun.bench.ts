import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host, sleep } from '../support/host.js';
import { mib, systemMemory } from './processMemory.js';
import type { BenchSection } from './types.js';
import { SENTENCES, VOICES, utterance } from './voice.bench.js';

/**
 * Memory under use: the real headless host runs MEMORY_RUN_MINUTES (default 20) minutes of mixed
 * traffic: a typed voice command every 500 ms (every other one spoken back by tts), a device command
 * every 500 ms, a spoken command (espeak-ng audio through stt) every 5 s. RSS of the host and each
 * service is read at the start of the traffic and once a minute. Target: flat after warm-up, the
 * second half of the run (the last 10 of 20 minutes) growing < 5 %. Reports, never asserts.
 *
 * Not part of `npm test`: `MEMORY_RUN_MINUTES=2 node dist/e2e/bench/run.js --only memory-run` for a quick look.
 */

const MINUTES = Number(process.env.MEMORY_RUN_MINUTES ?? 20);
const TYPED_EVERY_MS = 500;
const SPOKEN_EVERY = 10; // ticks of TYPED_EVERY_MS
const DEADLINE_MS = 15_000;
const GROWTH_TARGET = 0.05;
const DEVICES = ['kitchen_light', 'bedroom_lamp', 'living_room_light'];

export async function run(): Promise<BenchSection> {
  const audioDir = await mkdtemp(join(tmpdir(), 'alicia-memory-bench-'));
  const host = await Host.start();
  try {
    await host.allRunning(90_000);
    const spoken: string[] = [];
    for (const [i, [s]] of SENTENCES.slice(0, 6).entries()) spoken.push(await utterance(audioDir, s, VOICES[i % VOICES.length]!, i));

    const samples: { minute: number; procs: ReturnType<typeof systemMemory>; sent: number; ok: number }[] = [];
    const sent: string[] = [];
    const okCount = () => sent.filter((id) => host.byCorrelation.get(id)?.[0]?.ok === true).length;
    const t0 = Date.now();
    samples.push({ minute: 0, procs: systemMemory(host), sent: 0, ok: 0 });
    for (let tick = 0; Date.now() - t0 < MINUTES * 60_000; tick++) {
      const deadline = Date.now() + DEADLINE_MS;
      const [text] = SENTENCES[tick % SENTENCES.length]!;
      sent.push(host.send('alicia/voice/command', { session_id: `mem-typed-${tick % 8}`, text, speak: tick % 2 === 0 }, { deadline }));
      sent.push(
        host.send('alicia/device/command', { device_id: DEVICES[tick % DEVICES.length]!, action: 'toggle', params: {} }, { deadline }),
      );
      if (tick % SPOKEN_EVERY === 0) {
        const audio_data = spoken[(tick / SPOKEN_EVERY) % spoken.length]!;
        sent.push(host.send('alicia/voice/command', { session_id: `mem-spoken-${tick % 4}`, audio_data }, { deadline }));
      }
      const minute = Math.floor((Date.now() - t0) / 60_000);
      if (minute > samples[samples.length - 1]!.minute)
        samples.push({ minute, procs: systemMemory(host), sent: sent.length, ok: okCount() });
      await sleep(Math.max(0, t0 + (tick + 1) * TYPED_EVERY_MS - Date.now()));
    }
    await sleep(DEADLINE_MS);
    const end = { minute: MINUTES, procs: systemMemory(host), sent: sent.length, ok: okCount() };
    if (samples[samples.length - 1]!.minute < MINUTES) samples.push(end);
    else samples[samples.length - 1] = end;

    // the processes as at the start (services sharing one process are one column: systemMemory)
    const names = samples[0]!.procs.map((p) => p.name);
    const rssOf = (s: (typeof samples)[number], name: string) => s.procs.find((p) => p.name === name)?.mem.rssKb ?? 0;
    const rows = samples.map((s) => [
      s.minute,
      ...names.map((name) => mib(rssOf(s, name))),
      mib(s.procs.reduce((a, p) => a + p.mem.rssKb, 0)),
      mib(s.procs.reduce((a, p) => a + p.mem.pssKb, 0)),
      `${s.ok}/${s.sent}`,
    ]);
    // second half: from the sample nearest MINUTES/2 to the end
    const mid = samples.reduce((best, s) => (Math.abs(s.minute - MINUTES / 2) < Math.abs(best.minute - MINUTES / 2) ? s : best));
    const growth = names.map((name) => {
      const a = rssOf(mid, name);
      const b = rssOf(end, name);
      return { name, a, b, pct: a ? (b - a) / a : 0 };
    });
    const total = (s: typeof end) => s.procs.reduce((acc, p) => acc + p.mem.rssKb, 0);
    const totalPct = (total(end) - total(mid)) / total(mid);
    const over = growth.filter((g) => g.pct >= GROWTH_TARGET);
    return {
      title: `Memory under use: RSS (MiB) each minute of ${MINUTES} min of typed + spoken commands and device traffic (headless host)`,
      columns: ['minute', ...names, 'total RSS', 'total PSS', 'answered ok / sent'],
      rows,
      notes: [
        `traffic: a typed command every ${TYPED_EVERY_MS} ms (every other one spoken back), a device command every ${TYPED_EVERY_MS} ms, a spoken command every ${(TYPED_EVERY_MS * SPOKEN_EVERY) / 1000} s; each with a ${DEADLINE_MS / 1000} s deadline`,
        `second half (minute ${mid.minute} -> ${MINUTES}): total RSS ${(totalPct * 100).toFixed(1)} % (target < ${GROWTH_TARGET * 100} %); ${growth.map((g) => `${g.name} ${g.pct >= 0 ? '+' : ''}${(g.pct * 100).toFixed(1)} %`).join(', ')}`,
        over.length
          ? `grew ${GROWTH_TARGET * 100} % or more in the second half: ${over.map((g) => `${g.name} ${mib(g.a)} -> ${mib(g.b)} MiB`).join(', ')}`
          : `no process grew ${GROWTH_TARGET * 100} % or more in the second half`,
      ],
    };
  } finally {
    await host.stop();
    await rm(audioDir, { recursive: true, force: true });
  }
}

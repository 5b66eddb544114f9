import { Host, sleep } from '../support/host.js';
import { mib, systemMemory } from './processMemory.js';
import type { BenchSection } from './types.js';

/**
 * Memory at rest: the real headless host (`alicia serve`, every service), 15 s after it was started,
 * nothing asked of it. RSS, PSS and private memory of each process (processMemory.ts says how they differ), against
 * the footprint targets: stt and tts under 120 MiB RSS each with their engines loaded, the whole
 * system under 450 MiB PSS (docs/decisions.md 28 says why PSS). Reports, never asserts.
 */

const SETTLE_MS = 15_000;
const TARGETS: Record<string, string> = { stt: 'RSS < 120', tts: 'RSS < 120' };
const SYSTEM_TARGET_MIB = 450;

export async function run(): Promise<BenchSection> {
  const t0 = Date.now();
  const host = await Host.start();
  try {
    await host.allRunning(90_000);
    await sleep(Math.max(0, t0 + SETTLE_MS - Date.now()));
    const procs = systemMemory(host);
    const rss = procs.reduce((a, p) => a + p.mem.rssKb, 0);
    const pss = procs.reduce((a, p) => a + p.mem.pssKb, 0);
    const own = procs.reduce((a, p) => a + p.mem.privateKb, 0);
    return {
      title: `Memory at rest: each process of the headless host ${SETTLE_MS / 1000} s after start (MiB)`,
      columns: ['process', 'RSS', 'PSS', 'private', 'target'],
      rows: [
        ...procs.map((p) => [p.name, mib(p.mem.rssKb), mib(p.mem.pssKb), mib(p.mem.privateKb), TARGETS[p.name] ?? '-']),
        ['whole system', mib(rss), mib(pss), mib(own), `PSS < ${SYSTEM_TARGET_MIB}`],
      ],
      notes: [
        `whole system: ${mib(pss)} MiB as the system holds it (PSS: pages shared between processes counted once), ${mib(rss)} MiB as the sum of each process's RSS`,
        'the RSS sum counts the node binary and libraries once per process (about 40 MiB each, shared): eight Node processes cannot go below ~320 MiB RSS summed, so the whole-system target is on PSS',
        `private: what each process alone holds (what Windows and macOS task managers show per process); ${mib(own)} MiB summed`,
        'the host row includes its recorder worker thread; stt and tts include their engines (WASM memory and worker threads)',
      ],
    };
  } finally {
    await host.stop();
  }
}

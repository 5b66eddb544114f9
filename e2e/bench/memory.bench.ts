import { Host, sleep } from '../support/host.js';
import { mib, systemMemory } from './processMemory.js';
import type { ProcessMemory } from './processMemory.js';
import type { BenchSection } from './types.js';

/**
 * Memory at rest: the real headless host (`alicia serve`, every service), 15 s after it was started,
 * nothing asked of it. RSS, PSS and private memory of each process (processMemory.ts says how they
 * differ), against the footprint targets: stt and tts under 120 MiB RSS each with their engines
 * loaded, the whole system under 450 MiB summed RSS. The light services run as threads of one
 * shared process (config `supervisor.service_pool`, the default), one row; the same host with each
 * service in its own process is measured right after, for the comparison. Reports, never asserts.
 */

const SETTLE_MS = 15_000;
const TARGETS: Record<string, string> = { stt: 'RSS < 120', tts: 'RSS < 120' };
const SYSTEM_TARGET_MIB = 450;

async function atRest(servicePool: boolean): Promise<{ name: string; mem: ProcessMemory }[]> {
  const t0 = Date.now();
  const host = await Host.start({ config: { supervisor: { service_pool: servicePool } } });
  try {
    await host.allRunning(90_000);
    await sleep(Math.max(0, t0 + SETTLE_MS - Date.now()));
    return systemMemory(host);
  } finally {
    await host.stop();
  }
}

const sum = (procs: { mem: ProcessMemory }[], key: keyof ProcessMemory) => procs.reduce((a, p) => a + p.mem[key], 0);

export async function run(): Promise<BenchSection> {
  const procs = await atRest(true);
  const own = await atRest(false);
  const [rss, pss, priv] = (['rssKb', 'pssKb', 'privateKb'] as const).map((k) => sum(procs, k));
  return {
    title: `Memory at rest: each process of the headless host ${SETTLE_MS / 1000} s after start (MiB)`,
    columns: ['process', 'RSS', 'PSS', 'private', 'target'],
    rows: [
      ...procs.map((p) => [p.name, mib(p.mem.rssKb), mib(p.mem.pssKb), mib(p.mem.privateKb), TARGETS[p.name] ?? '-']),
      ['whole system', mib(rss!), mib(pss!), mib(priv!), `RSS < ${SYSTEM_TARGET_MIB}`],
    ],
    notes: [
      `whole system: ${mib(rss!)} MiB as the sum of each process's RSS, ${mib(pss!)} MiB as the system holds it (PSS: pages shared between processes counted once)`,
      `the same host with each service in its own process (supervisor.service_pool false), measured right after: ${mib(sum(own, 'rssKb'))} MiB RSS summed, ${mib(sum(own, 'pssKb'))} PSS, ${mib(sum(own, 'privateKb'))} private; ${own
        .filter((p) => procs.every((q) => q.name !== p.name))
        .map((p) => `${p.name} ${mib(p.mem.rssKb)}`)
        .join(', ')} MiB RSS`,
      'every Node process maps the node binary and libraries (about 30-40 MiB of RSS, shared): the shared service process holds them once for the five light services',
      `private: what each process alone holds (what Windows and macOS task managers show per process); ${mib(priv!)} MiB summed`,
      'the host row includes its recorder worker thread; stt and tts include their engines (WASM memory and worker threads)',
    ],
  };
}

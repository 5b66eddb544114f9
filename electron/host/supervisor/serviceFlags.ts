import { isServiceName } from '../../../services/lib/protocol/services.js';
import type { ServiceName } from '../../../services/lib/protocol/services.js';

/**
 * V8 flags each service process starts with (both launchers pass them as execArgv). Measured on the
 * idle headless host (docs/benchmarks.md, "Memory"): a service's heap holds 10-20 MiB of live data
 * but V8's defaults reserve and touch far more, chiefly a young generation that grows to 2 x 16 MiB
 * semi-spaces after the start-up allocations.
 *  - --max-semi-space-size=1: young generation capped at 2 x 1 MiB. A service allocates little per
 *    message; a scavenge of 1 MiB takes well under a millisecond.
 *  - --optimize-for-size: V8's memory-over-speed heuristics (smaller inlining, a heap that grows
 *    more slowly); the services spend their time waiting on the bus, not computing.
 *  - --lite-mode (discovery and health-monitor only): no optimising compiler and lazy feedback
 *    vectors, ~10 MiB less each; they handle a few heartbeats a second. Not for the services on the
 *    voice path, whose latency the benchmarks hold to targets.
 *  - --no-expose-wasm with it: lite mode turns WebAssembly off (V8 has no WebAssembly without its
 *    compilers), and said so on stderr at every start ("Warning: disabling flag --expose_wasm due to
 *    conflicting flags"), which the window shows as an error line. Neither service nor anything they
 *    import uses WebAssembly (no fetch, whose HTTP parser is WebAssembly); turning it off ourselves
 *    keeps the same process without the warning.
 *  - --max-old-space-size: a ceiling that turns a leak into a crash the supervisor restarts from,
 *    far above what each needs at rest (stt and tts hold their engines elsewhere: WASM memory and
 *    worker threads are outside this limit).
 */
const COMMON = ['--max-semi-space-size=1', '--optimize-for-size', '--max-old-space-size=256'] as const;

const LITE = ['--lite-mode', '--no-expose-wasm'] as const;

export const SERVICE_V8_FLAGS: Record<ServiceName, readonly string[]> = {
  discovery: [...COMMON, ...LITE],
  'health-monitor': [...COMMON, ...LITE],
  'device-manager': COMMON,
  stt: COMMON,
  ai: COMMON,
  tts: COMMON,
  'voice-router': COMMON,
};

/**
 * Environment every service process starts with, for the C allocator under V8 (glibc on Linux;
 * other systems ignore it).
 *  - MALLOC_ARENA_MAX=1: glibc gives each thread that allocates its own arena and keeps freed
 *    memory in it: V8's background threads compile (the stt and tts WebAssembly engines tier up to
 *    optimised code in the background) and leave megabytes of freed compiler memory behind in theirs.
 *    One arena lets the next allocation reuse it: measured 5-20 MiB less RSS for stt. The services'
 *    threads rarely allocate at the same time, so the shared lock costs nothing measurable.
 *  - MALLOC_MMAP_THRESHOLD_=32768: blocks of 32 KiB and more get pages of their own, returned to
 *    the system when freed. In the one arena, the optimising compiler's short-lived zones were
 *    freed between long-lived small blocks and glibc cannot give back the middle of its heap:
 *    measured at rest, stt's heap was 30 MiB with 6 MiB in use (glibc's malloc_stats), and
 *    device-manager, ai, tts and voice-router held 10-15 MiB of it each, 4-7 MiB with this
 *    (docs/benchmarks.md, "Memory"). 32 KiB rather than lower: 16 KiB saved no more.
 */
export const SERVICE_ALLOCATOR_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '32768' };

/** The flags for a service by name (none for a name outside the table, e.g. a test's own module). */
export function serviceFlags(name: string): string[] {
  return isServiceName(name) ? [...SERVICE_V8_FLAGS[name]] : [];
}

/**
 * Which services run as a worker thread of the one shared service process (poolLauncher.ts) and
 * which keep a process of their own, when the config's `supervisor.service_pool` is on (the
 * default). Each Node process maps ~30 MiB of the node binary and keeps a runtime of its own;
 * five light services in one process took 125-140 MiB RSS instead of ~300. stt and tts keep their
 * own: their WebAssembly engines and worker threads are most of the system's memory and CPU, they
 * are the voice path's latency, and a native fault in an engine would take every service in the
 * process with it.
 */
export const SERVICE_PROCESS: Record<ServiceName, 'shared' | 'own'> = {
  discovery: 'shared',
  'health-monitor': 'shared',
  'device-manager': 'shared',
  stt: 'own',
  ai: 'shared',
  tts: 'own',
  'voice-router': 'shared',
};

/** Whether a service runs in the shared process (a name outside the table, e.g. a test's own module: no). */
export function runsShared(name: string): boolean {
  return isServiceName(name) && SERVICE_PROCESS[name] === 'shared';
}

/**
 * V8 flags of the shared service process. V8 flags are the process's, not a thread's: each
 * service's own heap ceilings (SERVICE_V8_FLAGS) become its thread's resource limits instead.
 * The young-generation and size flags as for every service; --lite-mode (no optimising compiler)
 * (with --no-expose-wasm, as above) for the whole pool, which holds ai and voice-router on the voice path: measured with the typed
 * command's latency before and after (docs/benchmarks.md, "Memory").
 */
export const SHARED_PROCESS_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size', ...LITE];

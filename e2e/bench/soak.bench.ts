import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { mulberry32 } from '../system/reliability/fuzzCases.js';
import { Host, sleep } from '../support/host.js';
import { processMemory, serviceProcesses } from './processMemory.js';
import type { BenchSection } from './types.js';

/**
 * Soak (faults, docs/reliability.md): the real headless host; kill -9 a random service process every 2 s for 60 s while
 * device and voice traffic runs. Reports requests sent / answered ok / answered with a coded error /
 * unanswered by their deadline (a client-side TIMEOUT), time for every service to be running again
 * after the last kill, and RSS of the host and the services before and after. Reports, never asserts.
 *
 * The supervisor's crash limit (5 in 60 s -> `failed`) is raised for this run: the point is to see
 * every service come back, not the crash-loop guard (host.test.ts covers that).
 */

const KILL_EVERY_MS = Number(process.env.SOAK_KILL_EVERY_MS ?? 2000);
const DURATION_MS = Number(process.env.SOAK_DURATION_MS ?? 60_000);
const TRAFFIC_EVERY_MS = 100;
/** how long a soak client waits for an answer (its deadline) */
const DEADLINE_MS = 15_000;

function memory(host: Host): { host: number; services: number } {
  let services = 0;
  // the shared service process once, however many services run in it
  for (const { pid } of serviceProcesses(host)) services += processMemory(pid).rssKb;
  return { host: processMemory(host.pid).rssKb, services };
}

export async function run(): Promise<BenchSection> {
  const host = await Host.start({ config: { supervisor: { max_crashes: 1000, backoff_initial_ms: 200, backoff_max_ms: 4000 } } });
  try {
    await host.allRunning(90_000);
    // warm-up: a few of each request so first-use allocations are not counted as growth
    for (let i = 0; i < 5; i++) {
      await host.ask('alicia/device/command', { device_id: 'kitchen_light', action: 'toggle', params: {} });
      await host.ask('alicia/voice/command', { session_id: `warm-${i}`, text: 'turn on the kitchen light', speak: true }, 30_000);
    }
    const mem0 = memory(host);

    const rnd = mulberry32(20261127);
    const sent: { id: string; kind: 'device' | 'voice'; at: number }[] = [];
    const kills: { service: string; at: number }[] = [];
    const t0 = Date.now();
    let nextKill = t0 + KILL_EVERY_MS;
    let i = 0;
    while (Date.now() - t0 < DURATION_MS) {
      const deadline = Date.now() + DEADLINE_MS;
      sent.push({
        id: host.send(
          'alicia/device/command',
          { device_id: i % 2 ? 'kitchen_light' : 'bedroom_lamp', action: 'toggle', params: {} },
          { deadline },
        ),
        kind: 'device',
        at: Date.now(),
      });
      if (i % 5 === 0) {
        sent.push({
          id: host.send(
            'alicia/voice/command',
            { session_id: `soak-${i}`, text: 'turn off the living room light', speak: i % 10 === 0 },
            { deadline },
          ),
          kind: 'voice',
          at: Date.now(),
        });
      }
      i++;
      if (Date.now() >= nextKill) {
        nextKill += KILL_EVERY_MS;
        // a process, not a service: the shared one's kill ends every service in it
        const procs = serviceProcesses(host);
        const { name, pid } = procs[Math.floor(rnd() * procs.length)]!;
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
            kills.push({ service: name, at: Date.now() });
          } catch {
            /* already gone (restarting) */
          }
        }
      }
      await sleep(TRAFFIC_EVERY_MS);
    }
    const lastKill = kills[kills.length - 1]?.at ?? Date.now();
    await host.allRunning(120_000).catch(() => undefined);
    const recoverMs = Date.now() - lastKill;
    // let the last requests reach their deadline
    await sleep(Math.max(0, (sent[sent.length - 1]?.at ?? 0) + DEADLINE_MS - Date.now()));
    const mem1 = memory(host);

    const rows: (string | number)[][] = [];
    for (const kind of ['device', 'voice'] as const) {
      const mine = sent.filter((s) => s.kind === kind);
      let ok = 0;
      let coded = 0;
      let late = 0;
      let unanswered = 0;
      let twice = 0;
      const codes = new Map<string, number>();
      for (const s of mine) {
        const a = host.byCorrelation.get(s.id);
        if (!a) {
          unanswered++;
          continue;
        }
        if (a.length > 1) twice++;
        if (a[0]!.at - s.at > DEADLINE_MS) late++;
        if (a[0]!.ok) ok++;
        else {
          coded++;
          codes.set(a[0]!.code ?? 'NO CODE', (codes.get(a[0]!.code ?? 'NO CODE') ?? 0) + 1);
        }
      }
      rows.push([kind, mine.length, ok, coded, unanswered, late, twice, [...codes].map(([c, n]) => `${c} ${n}`).join(', ') || '-']);
    }
    const states = SERVICE_NAMES.map((n) => `${n}:${host.states.get(n)?.state}/${host.states.get(n)?.restarts}`).join(' ');
    const perService = new Map<string, number>();
    for (const k of kills) perService.set(k.service, (perService.get(k.service) ?? 0) + 1);
    return {
      title: 'Soak: kill -9 a random service process every 2 s for 60 s under device + voice traffic (headless host)',
      columns: [
        'requests',
        'sent',
        'answered ok',
        'coded error',
        'unanswered (client TIMEOUT)',
        'answered after deadline',
        'answered twice',
        'error codes',
      ],
      rows,
      notes: [
        `${kills.length} kills (${[...perService].map(([s, n]) => `${s} ${n}`).join(', ')}); all services running again ${recoverMs} ms after the last kill; final state/restarts: ${states}`,
        `RSS host ${Math.round(mem0.host / 1024)} -> ${Math.round(mem1.host / 1024)} MiB, services total ${Math.round(mem0.services / 1024)} -> ${Math.round(mem1.services / 1024)} MiB (services restarted during the run start fresh)`,
        `each request carries a ${DEADLINE_MS / 1000} s deadline; an unanswered one is what a BusService.request() caller sees as a coded TIMEOUT`,
      ],
    };
  } finally {
    await host.stop();
  }
}

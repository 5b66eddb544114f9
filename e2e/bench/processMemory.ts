import { readFileSync } from 'node:fs';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import type { Host } from '../support/host.js';

/**
 * Memory of the host's processes as the OS counts it (Linux /proc). RSS counts every page a process
 * has in memory, including the pages of the node binary that all eight processes share; PSS divides
 * each shared page among the processes that map it, so the PSS of all processes adds up to what
 * the system as a whole holds. Private (USS) is what only that process holds, the pages it would
 * give back if it ended: the closest Linux figure to what desktop task managers show per process
 * (Windows' private working set, macOS's memory footprint), which leave shared program pages out.
 */
export interface ProcessMemory {
  /** VmRSS, KiB (0 when the process is gone) */
  rssKb: number;
  /** Pss from smaps_rollup, KiB */
  pssKb: number;
  /** Private_Clean + Private_Dirty from smaps_rollup, KiB */
  privateKb: number;
}

function kb(file: string, field: RegExp): number {
  try {
    const m = field.exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function processMemory(pid: number | null | undefined): ProcessMemory {
  if (!pid) return { rssKb: 0, pssKb: 0, privateKb: 0 };
  const rollup = `/proc/${pid}/smaps_rollup`;
  return {
    rssKb: kb(`/proc/${pid}/status`, /VmRSS:\s+(\d+)/),
    pssKb: kb(rollup, /^Pss:\s+(\d+)/m),
    privateKb: kb(rollup, /^Private_Clean:\s+(\d+)/m) + kb(rollup, /^Private_Dirty:\s+(\d+)/m),
  };
}

/**
 * The service processes, each once, in SERVICE_NAMES order of their first service: a service of
 * its own is named after it, the shared service process (the light services' threads, one pid)
 * "services (shared): discovery, health-monitor, ...". A service without a pid (not running) is
 * a row of its own with none, so a missing process shows instead of vanishing.
 */
export function serviceProcesses(host: Host): { name: string; pid: number | null }[] {
  const byPid = new Map<number, string[]>();
  const out: { names: string[]; pid: number | null }[] = [];
  for (const name of SERVICE_NAMES) {
    const pid = host.states.get(name)?.pid ?? null;
    const shared = pid === null ? undefined : byPid.get(pid);
    if (shared) shared.push(name);
    else {
      const names = [name];
      if (pid !== null) byPid.set(pid, names);
      out.push({ names, pid });
    }
  }
  return out.map(({ names, pid }) => ({ name: names.length > 1 ? `services (shared): ${names.join(', ')}` : names[0]!, pid }));
}

/** The host and each service process once (serviceProcesses): a pid shared by several services is counted once. */
export function systemMemory(host: Host): { name: string; mem: ProcessMemory }[] {
  return [
    { name: 'host', mem: processMemory(host.pid) },
    ...serviceProcesses(host).map(({ name, pid }) => ({ name, mem: processMemory(pid) })),
  ];
}

export const mib = (kib: number): number => Math.round(kib / 102.4) / 10;

import { readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU time of one thread of this process, from /proc (Linux only; elsewhere null). The recorder's
 * writer thread reports its id when it starts, so stats can say how much CPU history costs, apart
 * from the broker's thread; the benchmarks use the same reading for the broker's thread.
 */

/** USER_HZ: the unit of utime/stime in /proc/<pid>/task/<tid>/stat. 100 on every Linux ABI Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The kernel's id of the calling thread (readlink /proc/thread-self -> "<pid>/task/<tid>"), or null. */
export function currentThreadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** utime + stime in ms from a /proc stat file (/proc/<pid>/stat, /proc/self/task/<tid>/stat), or null when it cannot be read. */
export function procStatCpuMs(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state is [0], utime [11], stime [12].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** utime + stime of thread `tid` of this process in ms, or null when it cannot be read (not Linux, thread gone). */
export function threadCpuMs(tid: number | null): number | null {
  return tid === null ? null : procStatCpuMs(`/proc/self/task/${tid}/stat`);
}

/** CPU of the process's main thread (where the broker runs) in ms, or null. */
export function mainThreadCpuMs(): number | null {
  return threadCpuMs(process.platform === 'linux' ? process.pid : null);
}

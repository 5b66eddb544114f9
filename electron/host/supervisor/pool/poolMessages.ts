/**
 * The messages between the host (poolLauncher.ts) and a shared service process (poolProcess.ts),
 * over the pool process's own message channel (child_process IPC or Electron's parentPort, both
 * JSON). Each service in the pool is a worker thread with an `id` the host chose; everything a
 * Launcher does for a process of its own travels here as one message.
 */

/** The heap limits of one worker thread (worker_threads ResourceLimits, in MiB). */
export interface WorkerHeapLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
}

export type ToPool =
  | {
      pool: 'start';
      id: number;
      name: string;
      modulePath: string;
      env: Record<string, string>;
      args: string[];
      resourceLimits: WorkerHeapLimits;
    }
  /** a message for the service (it reads it on worker_threads' parentPort) */
  | { pool: 'post'; id: number; message: unknown }
  /** SIGTERM or SIGINT as a process would get it: the service's own listener, or the end of the thread without one */
  | { pool: 'signal'; id: number; signal: 'SIGTERM' | 'SIGINT' }
  /** end the thread now (the SIGKILL of a thread: worker.terminate()) */
  | { pool: 'terminate'; id: number }
  /** no service left: the pool process exits */
  | { pool: 'close' };

export type FromPool =
  | { pool: 'started'; id: number; thread: number }
  | { pool: 'output'; id: number; stream: 'stdout' | 'stderr'; data: string }
  | { pool: 'message'; id: number; message: unknown }
  /** the thread ended with this code; all its output was sent before this */
  | { pool: 'exit'; id: number; code: number };

/** A pool message from the other side of the channel (anything else on it is not ours and is ignored). */
export function isPoolMessage<T extends ToPool | FromPool>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { pool?: unknown }).pool === 'string';
}

/** The exit code a process gets from a signal it has no handler for (128 + the signal's number). */
export const SIGNAL_EXIT_CODE = { SIGTERM: 143, SIGINT: 130 } as const;

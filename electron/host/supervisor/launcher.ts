import type { Readable } from 'node:stream';

/**
 * How the supervisor starts one service process. Two implementations share this interface and one
 * test suite (launcherSuite.ts, the MQTT.js habit of one suite per transport):
 *  - nodeLauncher.ts: Node `child_process.fork` (headless host, tests, CI)
 *  - utilityLauncher.ts: Electron `utilityProcess.fork` (desktop app; cannot run on our build machines)
 *
 * The shape is the intersection of both APIs so each implementation is a few lines:
 *  - both give `pid` (utilityProcess: undefined until 'spawn'; undefined again after exit),
 *  - both give `stdout`/`stderr` Readables with stdio 'pipe' (utilityProcess: `child.stdout`, null otherwise),
 *  - both emit an exit event (Node: 'exit'(code, signal); utilityProcess: 'exit'(code), no signal),
 *  - both have a message channel (Node IPC `send`/'message'; utilityProcess `postMessage`/'message',
 *    and the child sees it on `process.parentPort` instead of `process.on('message')`),
 *  - both have kill (utilityProcess.kill() takes no signal: it always terminates).
 */
export interface LaunchSpec {
  /** service name (for logs and errors) */
  name: string;
  /** absolute path of the service's entry module, e.g. /app/dist/services/stt/main.js */
  modulePath: string;
  /** the COMPLETE environment of the child (the launcher does not merge process.env: credentials are per service) */
  env: Record<string, string>;
  /** working directory of the child */
  cwd: string;
  /** extra command-line arguments for the module (default none) */
  args?: string[];
  /** V8/Node flags for the child (default none; serviceFlags.ts) */
  execArgv?: string[];
}

export type ExitListener = (code: number | null, signal: string | null) => void;

export interface LaunchedProcess {
  /** OS pid once spawned; undefined if the spawn failed (an exit follows) */
  readonly pid: number | undefined;
  /**
   * A service sharing its process with others (poolLauncher.ts): its worker thread's id inside
   * the process `pid` names, once started. Undefined for a process of its own.
   */
  readonly thread?: number | undefined;
  /** the child's stdout / stderr (stdio 'pipe'); null if the implementation cannot pipe */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * Called exactly once when the process has exited, or failed to spawn (code null, signal null,
   * after an error). `signal` is the killing signal's name where the platform reports it (Node),
   * null otherwise (Electron utilityProcess reports only the code).
   */
  onExit(listener: ExitListener): void;
  /** messages from the child (JSON-serialisable values) */
  onMessage(listener: (message: unknown) => void): void;
  /** send a JSON-serialisable message to the child; false if the channel is closed (never throws) */
  postMessage(message: unknown): boolean;
  /**
   * Send a signal (default SIGTERM); false if the process is already gone. Implementations that
   * cannot choose the signal (utilityProcess) terminate the process regardless of `signal`.
   */
  kill(signal?: NodeJS.Signals): boolean;
}

export interface Launcher {
  /** Start a process. Never throws for a process that fails to start: the failure arrives as an exit. */
  launch(spec: LaunchSpec): LaunchedProcess;
}

/** The message the supervisor sends to ask a service to stop gracefully (services/lib/runtime listens for it). */
export const STOP_MESSAGE = { type: 'stop' } as const;

/**
 * The exit bookkeeping both launchers share: the process's exit is recorded once, listeners added
 * before it are called then, listeners added after it are called on the next microtask.
 */
export class ProcessExit {
  private info: { code: number | null; signal: string | null } | undefined;
  private readonly listeners: ExitListener[] = [];

  get exited(): boolean {
    return this.info !== undefined;
  }

  onExit(listener: ExitListener): void {
    const info = this.info;
    if (info) queueMicrotask(() => listener(info.code, info.signal));
    else this.listeners.push(listener);
  }

  /** Record the exit (only the first call counts) and tell the listeners. */
  finish(code: number | null, signal: string | null): void {
    if (this.info) return;
    this.info = { code, signal };
    for (const l of this.listeners.splice(0)) l(code, signal);
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending; EPERM: it exists but is another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

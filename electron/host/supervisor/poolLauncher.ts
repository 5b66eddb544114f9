import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ProcessExit } from './launcher.js';
import type { ExitListener, LaunchedProcess, LaunchSpec, Launcher } from './launcher.js';
import { isPoolMessage } from './pool/poolMessages.js';
import type { FromPool, ToPool, WorkerHeapLimits } from './pool/poolMessages.js';

/** The shared process itself: how the base launcher starts it (its module is the launcher's to find). */
export type PoolProcessSpec = Omit<LaunchSpec, 'modulePath' | 'args'>;

/**
 * The Launcher that runs each service as a worker thread of one shared service process
 * (pool/poolProcess.ts), started on the first launch through the base launcher: a
 * child_process.fork on the headless host, an Electron utility process on the desktop. Everything
 * a process of its own gives travels over the pool process's message channel, per service:
 *  - pid: the pool process's (the service's heartbeats carry the same one); a thread id beside it,
 *  - stdout/stderr: the thread's own, forwarded,
 *  - messages both ways (the service reads them on worker_threads' parentPort),
 *  - exit: the thread's code; every service of the pool exits with the pool process's code and
 *    signal when that process ends (killed, crashed), and the supervisor restarts each as any crash,
 *  - kill('SIGKILL'): worker.terminate(); other signals arrive as the process events the service
 *    listens for (pool/poolWorker.ts).
 * What a thread cannot have of its own: V8 flags and the working directory are the process's
 * (the spec's `--max-old-space-size` / `--max-semi-space-size` become the thread's heap limits; its
 * other flags and its cwd are ignored). When its last service has exited the pool process is told
 * to exit, and the next launch starts a new one.
 */
export class PoolLauncher implements Launcher {
  private pool: Pool | undefined;

  /**
   * @param onOutput what the pool process itself writes (not its services: theirs is each one's own
   *   stdout/stderr), e.g. V8's last words when the process dies of a fault that is nobody's thread's
   */
  constructor(
    private readonly base: Launcher,
    private readonly poolSpec: PoolProcessSpec,
    private readonly onOutput: (text: string) => void = () => undefined,
  ) {}

  launch(spec: LaunchSpec): LaunchedProcess {
    if (!this.pool) {
      let modulePath: string;
      try {
        modulePath = poolProcessModule();
      } catch (e) {
        // the contract: a process that cannot start is an exit, never a throw
        return notStarted(String(e));
      }
      const pool = new Pool(this.base.launch({ ...this.poolSpec, modulePath }), this.onOutput, () => {
        if (this.pool === pool) this.pool = undefined;
      });
      this.pool = pool;
    }
    return this.pool.start(spec);
  }
}

/** A service that never ran: its stderr says why, and it has exited. */
function notStarted(why: string): LaunchedProcess {
  const exit = new ProcessExit();
  const stderr = new PassThrough();
  stderr.end(`${why}\n`);
  exit.finish(null, null);
  return {
    pid: undefined,
    stdout: null,
    stderr,
    onExit: (l) => exit.onExit(l),
    onMessage: () => undefined,
    postMessage: () => false,
    kill: () => false,
  };
}

/**
 * The heap limits of a thread from a service's V8 flags: the old space as given, the young
 * generation two semi-spaces (V8's young generation is a pair of them).
 */
export function heapLimitsFromFlags(execArgv: readonly string[]): WorkerHeapLimits {
  const limits: WorkerHeapLimits = {};
  for (const flag of execArgv) {
    const m = /^--(max-old-space-size|max-semi-space-size)=(\d+)$/.exec(flag);
    if (!m) continue;
    if (m[1] === 'max-old-space-size') limits.maxOldGenerationSizeMb = Number(m[2]);
    else limits.maxYoungGenerationSizeMb = 2 * Number(m[2]);
  }
  return limits;
}

/**
 * Where the pool process's code is: beside this file in dist/; from source (vitest transforms the
 * .ts files, a forked process gets no such transform and Node 20 cannot load .ts) the build in dist/,
 * so tests that start a pool need `npx tsc -b tsconfig.build.json` first.
 */
function poolProcessModule(): string {
  if (!import.meta.url.endsWith('.ts')) return fileURLToPath(new URL('./pool/poolProcess.js', import.meta.url));
  const built = fileURLToPath(new URL('../../../dist/electron/host/supervisor/pool/poolProcess.js', import.meta.url));
  if (!existsSync(built))
    throw new Error(
      `service pool: running from source needs the compiled pool process at ${built}: run \`npx tsc -b tsconfig.build.json\` first`,
    );
  return built;
}

/** One pool process and the services in it. */
class Pool {
  private readonly threads = new Map<number, PooledService>();
  private nextId = 1;
  private exited = false;
  private retired = false;

  constructor(
    private readonly proc: LaunchedProcess,
    onOutput: (text: string) => void,
    private readonly retire: () => void,
  ) {
    // The pool's own output (a fault of the process itself, not of a service); read in any case,
    // or a full pipe would stall the process.
    for (const stream of [proc.stdout, proc.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => onOutput(text));
    }
    proc.onMessage((m) => {
      if (isPoolMessage<FromPool>(m)) this.threads.get(m.id)?.receive(m);
    });
    proc.onExit((code, signal) => {
      this.exited = true;
      this.retireOnce();
      for (const t of [...this.threads.values()]) t.end(code, signal);
      this.threads.clear();
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  start(spec: LaunchSpec): LaunchedProcess {
    const id = this.nextId++;
    const service = new PooledService(this, id, () => this.left(id));
    if (this.exited) {
      queueMicrotask(() => service.end(null, null));
      return service;
    }
    this.threads.set(id, service);
    const sent = this.send({
      pool: 'start',
      id,
      name: spec.name,
      modulePath: spec.modulePath,
      env: spec.env,
      args: spec.args ?? [],
      resourceLimits: heapLimitsFromFlags(spec.execArgv ?? []),
    });
    if (!sent) queueMicrotask(() => service.end(null, null));
    return service;
  }

  send(message: ToPool): boolean {
    return !this.exited && this.proc.postMessage(message);
  }

  /** A service's thread has ended: the last one out closes the pool process. */
  private left(id: number): void {
    this.threads.delete(id);
    if (this.threads.size > 0 || this.exited) return;
    this.retireOnce();
    this.send({ pool: 'close' });
  }

  private retireOnce(): void {
    if (this.retired) return;
    this.retired = true;
    this.retire();
  }
}

/** A service running as a thread of a pool process, seen through the Launcher contract. */
class PooledService implements LaunchedProcess {
  private readonly exit = new ProcessExit();
  private readonly listeners: ((message: unknown) => void)[] = [];
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** the thread's id inside the pool process, once started */
  thread: number | undefined;
  /** set when the host terminated the thread: its exit is reported as a SIGKILL's, as a process's would be */
  private killedWith: 'SIGKILL' | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly id: number,
    private readonly left: () => void,
  ) {}

  get pid(): number | undefined {
    return this.exit.exited ? undefined : this.pool.pid;
  }

  receive(m: FromPool): void {
    if (m.pool === 'started') this.thread = m.thread;
    else if (m.pool === 'output') (m.stream === 'stdout' ? this.stdout : this.stderr).write(m.data);
    else if (m.pool === 'message') for (const l of this.listeners) l(m.message);
    else this.end(this.killedWith ? null : m.code, this.killedWith ?? null);
  }

  /** The thread (or the whole pool process) has ended. */
  end(code: number | null, signal: string | null): void {
    if (this.exit.exited) return;
    this.stdout.end();
    this.stderr.end();
    this.exit.finish(code, signal);
    this.left();
  }

  onExit(listener: ExitListener): void {
    this.exit.onExit(listener);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.listeners.push(listener);
  }

  postMessage(message: unknown): boolean {
    return !this.exit.exited && this.pool.send({ pool: 'post', id: this.id, message });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exit.exited) return false;
    // SIGTERM and SIGINT reach the service as events; any other signal ends a process outright.
    if (signal === 'SIGTERM' || signal === 'SIGINT') return this.pool.send({ pool: 'signal', id: this.id, signal });
    const ok = this.pool.send({ pool: 'terminate', id: this.id });
    if (ok) this.killedWith = 'SIGKILL';
    return ok;
  }
}

import { mkdirSync } from 'node:fs';
import { backoffDelay } from '../../../services/lib/runtime/backoff.js';
import type { LaunchedProcess, Launcher, LaunchSpec } from './launcher.js';
import { STOP_MESSAGE } from './launcher.js';
import type { ServiceLog } from './serviceLog.js';

export type ServiceStateName = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'failed';
/** Why a service stops (STOP_REASONS in services/lib/protocol/system.ts). */
export type StopReason = 'request' | 'restart' | 'host' | 'exit' | 'disabled';

/** Who stops a service and why: the supervisor request's principal, or the host itself (no `by`). */
export interface StopCause {
  reason: StopReason;
  by?: string;
}

/** What alicia/system/services/<name> carries (serviceStateSchema). */
export interface ServiceStatus {
  service: string;
  state: ServiceStateName;
  pid: number | null;
  /** running in the shared service process: its thread there (`pid` is the shared process's) */
  thread?: number;
  restarts: number;
  startedAt: number | null;
  exit_code: number | null;
  exit_signal: string | null;
  last_error?: string;
  stop_reason?: StopReason;
  stopped_by?: string;
  stopped_at?: number;
}

export interface RestartPolicy {
  /** first restart delay after a crash; doubles per consecutive crash */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** a process running this long after readiness resets the backoff */
  stableMs: number;
  /** crashes tolerated within crashWindowMs; one more and the service is `failed` */
  maxCrashes: number;
  crashWindowMs: number;
  /** after the stop message, how long before SIGKILL */
  graceMs: number;
  /** a service that has not registered + sent a heartbeat by then is killed and counted as a crash */
  readyTimeoutMs: number;
}

export const DEFAULT_POLICY: RestartPolicy = {
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  stableMs: 60_000,
  maxCrashes: 5,
  crashWindowMs: 60_000,
  graceMs: 3_000,
  readyTimeoutMs: 30_000,
};

export interface SupervisedServiceOptions {
  name: string;
  launcher: Launcher;
  /** everything but the process handle: built fresh for every launch (credentials may rotate) */
  spec: () => LaunchSpec;
  /** directories to create before launch (the service's data dir) */
  dirs: string[];
  policy: RestartPolicy;
  log: ServiceLog;
  onChange: (status: ServiceStatus) => void;
  now?: () => number;
  /** false: the config leaves it disabled (its stopped state says so); default true */
  enabled?: boolean;
}

type Settled = ServiceStateName;

/**
 * The state machine of one supervised process:
 *
 *   stopped --start--> starting --(registered + heartbeat)--> running
 *   starting|running --exit(signal or code != 0)--> crashed --(backoff)--> starting
 *   crashed --(more than maxCrashes in crashWindowMs)--> failed   (no more restarts until a user start)
 *   starting|running --stop--> stopping --exit--> stopped       (stop message, SIGKILL after graceMs)
 *   starting|running --exit(code 0)--> stopped                   (a clean exit is a stop, as systemd's
 *                                                                 Restart=on-failure and Docker's
 *                                                                 restart: on-failure treat it; it is also
 *                                                                 what Ctrl+C in a terminal, which signals
 *                                                                 the whole process group, looks like)
 *
 * User operations (start/stop/restart) are serialised per service so they never interleave.
 */
export class SupervisedService {
  readonly name: string;
  private state: ServiceStateName = 'stopped';
  private proc: LaunchedProcess | undefined;
  private generation = 0;
  private restarts = 0;
  private launches = 0;
  private startedAt: number | null = null;
  private exitCode: number | null = null;
  private exitSignal: string | null = null;
  private lastError: string | undefined;
  private pid: number | null = null;
  private thread: number | undefined;
  /** why it is stopping/stopped, who asked and when; cleared at each launch */
  private stopCause: (StopCause & { at: number }) | undefined;
  /** what the user (or the host) wants: run it, or keep it stopped */
  private intent: 'run' | 'stop' = 'stop';
  private registered = false;
  private heartbeat = false;
  private crashTimes: number[] = [];
  private consecutiveCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private ops: Promise<unknown> = Promise.resolve();
  private settleWaiters: ((s: Settled) => void)[] = [];
  private exitWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: SupervisedServiceOptions) {
    this.name = opts.name;
    this.now = opts.now ?? Date.now;
    // Stopped before its first start; one the config leaves disabled stays so until someone starts it.
    if (opts.enabled === false) this.stopCause = { reason: 'disabled', at: this.now() };
  }

  status(): ServiceStatus {
    const s: ServiceStatus = {
      service: this.name,
      state: this.state,
      pid: this.pid,
      ...(this.thread !== undefined ? { thread: this.thread } : {}),
      restarts: this.restarts,
      startedAt: this.startedAt,
      exit_code: this.exitCode,
      exit_signal: this.exitSignal,
    };
    if (this.lastError !== undefined) s.last_error = this.lastError;
    if (this.stopCause && (this.state === 'stopping' || this.state === 'stopped')) {
      s.stop_reason = this.stopCause.reason;
      if (this.stopCause.by !== undefined) s.stopped_by = this.stopCause.by;
      s.stopped_at = this.stopCause.at;
    }
    return s;
  }

  get currentState(): ServiceStateName {
    return this.state;
  }

  /** Start (or keep running). Resolves with the state it settled in: running, crashed, failed or stopped. */
  start(): Promise<ServiceStateName> {
    return this.serial(() => this.doStart());
  }

  /** Stop (or keep stopped); `cause` is published with the stopping/stopped state (default: the host's own request). */
  stop(cause: StopCause = { reason: 'request' }): Promise<ServiceStateName> {
    return this.serial(() => this.doStop(cause));
  }

  restart(by?: string): Promise<ServiceStateName> {
    return this.serial(async () => {
      await this.doStop(by === undefined ? { reason: 'restart' } : { reason: 'restart', by });
      return this.doStart();
    });
  }

  /** Resolves when the service is running, or settled in crashed/failed/stopped, or after timeoutMs. */
  whenSettled(timeoutMs: number): Promise<ServiceStateName> {
    if (this.state !== 'starting' && this.state !== 'stopping') return Promise.resolve(this.state);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.settleWaiters = this.settleWaiters.filter((w) => w !== done);
        resolve(this.state);
      }, timeoutMs);
      const done = (s: Settled) => {
        clearTimeout(t);
        resolve(s);
      };
      this.settleWaiters.push(done);
    });
  }

  /** Bus evidence of readiness; `pid` filters out stale messages from a previous process (its last will). */
  sawRegister(pid: number | undefined): void {
    if (!this.matches(pid)) return;
    this.registered = true;
    this.checkReady();
  }

  sawHeartbeat(pid: number | undefined, status: string): void {
    if (!this.matches(pid) || status === 'offline') return;
    this.heartbeat = true;
    this.checkReady();
  }

  private matches(pid: number | undefined): boolean {
    if (!this.proc || (this.state !== 'starting' && this.state !== 'running')) return false;
    // utilityProcess may not know its pid yet; then the name alone has to do.
    return pid === undefined || this.proc.pid === undefined || pid === this.proc.pid;
  }

  private checkReady(): void {
    if (this.state !== 'starting' || !this.registered || !this.heartbeat) return;
    clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.lastError = undefined;
    // Electron's utilityProcess learns its pid only at 'spawn': read it again before publishing
    this.pid = this.proc?.pid ?? this.pid;
    this.thread = this.proc?.thread;
    this.set('running');
    this.say(`ready (pid ${this.pid ?? '?'}${this.thread !== undefined ? `, thread ${this.thread} of the shared process` : ''})`, this.pid);
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.consecutiveCrashes = 0;
    }, this.opts.policy.stableMs);
    this.stableTimer.unref();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.ops.then(op, op);
    this.ops = run.catch(() => undefined);
    return run;
  }

  private async doStart(): Promise<ServiceStateName> {
    this.intent = 'run';
    if (this.state === 'starting' || this.state === 'running') return this.whenSettled(this.opts.policy.readyTimeoutMs + 1000);
    if (this.state === 'stopping') await this.exited();
    // A user start (or restart) is a fresh chance, also after `failed`: a failed service is restarted only
    // when someone asks, so a crash loop cannot burn CPU unattended, and asking must then really retry.
    this.crashTimes = [];
    this.consecutiveCrashes = 0;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.launch();
    return this.whenSettled(this.opts.policy.readyTimeoutMs + 1000);
  }

  private async doStop(cause: StopCause): Promise<ServiceStateName> {
    this.intent = 'stop';
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    // A stop of a stopped service keeps the first cause: it says why the process ended.
    if (this.state !== 'stopped' && this.state !== 'stopping') this.stopCause = { ...cause, at: this.now() };
    if (!this.proc) {
      if (this.state !== 'stopped') this.set('stopped');
      return this.state;
    }
    const proc = this.proc;
    const exited = this.exited();
    if (this.state !== 'stopping') {
      this.set('stopping');
      clearTimeout(this.readyTimer);
      this.say(`stopping (${cause.reason}${cause.by ? ` by ${cause.by}` : ''})`, proc.pid ?? null);
      // The runtime's runService() stops on this IPC message (and on SIGTERM where IPC is missing).
      if (!proc.postMessage(STOP_MESSAGE)) proc.kill('SIGTERM');
      this.killTimer = setTimeout(() => {
        this.say(`did not stop within ${this.opts.policy.graceMs} ms: killing`, proc.pid ?? null);
        proc.kill('SIGKILL');
      }, this.opts.policy.graceMs);
    }
    await exited;
    return this.state;
  }

  private exited(): Promise<void> {
    if (!this.proc) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** A supervisor line in the service's log, about its current (or just ended) run. */
  private say(text: string, pid: number | null): void {
    this.opts.log.supervisor(text, pid, this.launches);
  }

  private launch(): void {
    const gen = ++this.generation;
    this.registered = false;
    this.heartbeat = false;
    if (this.launches++ > 0) this.restarts++;
    this.stopCause = undefined;
    let spec: LaunchSpec;
    try {
      for (const d of this.opts.dirs) mkdirSync(d, { recursive: true, mode: 0o700 });
      spec = this.opts.spec();
    } catch (e) {
      this.lastError = `cannot prepare launch: ${(e as Error).message}`;
      this.say(this.lastError, null);
      this.set('failed');
      return;
    }
    const proc = this.opts.launcher.launch(spec);
    this.proc = proc;
    this.pid = proc.pid ?? null;
    this.startedAt = this.now();
    this.exitCode = null;
    this.exitSignal = null;
    // this run's pid, read per line: Electron's utilityProcess learns it only at 'spawn'
    const runPid = () => proc.pid ?? null;
    this.opts.log.attach(proc.stdout, 'stdout', runPid, this.launches);
    this.opts.log.attach(proc.stderr, 'stderr', runPid, this.launches);
    proc.onExit((code, signal) => this.onExit(gen, code, signal));
    this.set('starting');
    this.say(`started pid ${this.pid ?? '?'}`, this.pid);
    this.readyTimer = setTimeout(() => {
      if (gen !== this.generation || this.state !== 'starting') return;
      this.lastError = `not ready (registered + heartbeat) within ${this.opts.policy.readyTimeoutMs} ms`;
      this.say(`${this.lastError}: killing`, proc.pid ?? null);
      proc.kill('SIGKILL');
    }, this.opts.policy.readyTimeoutMs);
  }

  private onExit(gen: number, code: number | null, signal: string | null): void {
    if (gen !== this.generation) return;
    clearTimeout(this.readyTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.stableTimer);
    this.readyTimer = this.killTimer = this.stableTimer = undefined;
    const pid = this.pid;
    this.proc = undefined;
    this.pid = null;
    this.thread = undefined;
    this.exitCode = code;
    this.exitSignal = signal;
    const how = signal ? `signal ${signal}` : `code ${code ?? '?'}`;
    const waiters = this.exitWaiters.splice(0);
    if (this.intent === 'stop' || this.state === 'stopping') {
      this.say(`stopped (${how})`, pid);
      this.set('stopped');
    } else if (code === 0 && signal === null) {
      this.say('exited cleanly (code 0): not restarting', pid);
      this.intent = 'stop';
      this.stopCause = { reason: 'exit', at: this.now() };
      this.set('stopped');
    } else {
      this.crashed(how, pid);
    }
    for (const w of waiters) w();
  }

  private crashed(how: string, pid: number | null): void {
    const now = this.now();
    const p = this.opts.policy;
    this.crashTimes = this.crashTimes.filter((t) => now - t <= p.crashWindowMs);
    this.crashTimes.push(now);
    if (this.lastError === undefined || !this.lastError.startsWith('not ready')) this.lastError = `exited with ${how}`;
    if (this.crashTimes.length > p.maxCrashes) {
      this.lastError = `crashed ${this.crashTimes.length} times within ${p.crashWindowMs / 1000} s (last: ${how}); not restarting until started again`;
      this.say(this.lastError, pid);
      this.set('failed');
      return;
    }
    // No jitter: one host restarts its own services, so there is no crowd of clients to spread out.
    const delay = backoffDelay(this.consecutiveCrashes, { initialMs: p.backoffInitialMs, maxMs: p.backoffMaxMs, factor: 2, jitter: 0 });
    this.consecutiveCrashes++;
    this.say(`crashed (${how}); restarting in ${delay} ms`, pid);
    this.set('crashed');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.intent === 'run' && this.state === 'crashed') this.launch();
    }, delay);
  }

  private set(state: ServiceStateName): void {
    this.state = state;
    this.opts.onChange(this.status());
    if (state !== 'starting' && state !== 'stopping') {
      for (const w of this.settleWaiters.splice(0)) w(state);
    }
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { RuntimeInfo } from '../../electron/host/headless.js';
import { newId, seal } from '../../services/lib/protocol/envelope.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { TOPICS, type RequestTopic, type TopicPattern } from '../../services/lib/protocol/topics.js';

/**
 * The whole headless host (`node dist/electron/host/cli.js serve`) as a child process: free ports, a
 * fresh (or given) data dir, ready when it has written a new DIR/runtime.json and printed its URL.
 * The one harness for every test and benchmark that runs the real host: vitest whole-host,
 * reliability and security tests (from source), the Playwright global setup, and the soak and
 * window benchmarks (compiled to dist/e2e, which is why it lives outside e2e/testing).
 *
 * startHost() is the bare process; Host adds an operator MQTT client that tracks service states
 * and every answer to the requests it sends.
 */

/** Repo root, from e2e/support (source) or dist/e2e/support (compiled). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the repository root from ${import.meta.url}`);
}

export const ROOT = repoRoot();
export const CLI = join(ROOT, 'dist', 'electron', 'host', 'cli.js');
const WINDOW_INDEX = join(ROOT, 'dist', 'renderer', 'index.html');

/** Output kept per stream: a soak run must not grow without bound, a test's whole output fits. */
const OUTPUT_KEEP = 1024 * 1024;
/** SIGTERM -> SIGKILL after this long (the host itself gives up on a hung stop after 4.5 s). */
const STOP_KILL_MS = 20_000;

export interface HostExit {
  code: number | null;
  signal: string | null;
}

export interface StartHostOptions {
  /** reuse a data dir (restart tests; kept on a failed start); default a fresh temp dir */
  dataDir?: string;
  /** written to <dataDir>/config.json before start */
  config?: unknown;
  /** more `serve` flags */
  args?: string[];
  /** how long to wait for ready (default 90 s) */
  timeoutMs?: number;
}

export interface HostProcess {
  child: ChildProcess;
  dataDir: string;
  runtime: RuntimeInfo;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived (the broker's log lines among the rest) */
  output(): string;
  exited: Promise<HostExit>;
  /** SIGTERM (SIGKILL after 20 s) and wait for the exit; removes the data dir unless keep */
  stop(opts?: { keep?: boolean }): Promise<HostExit & { ms: number }>;
}

/** startHost() gave up: the host exited before it was ready (`exit` set) or was not ready in time (killed, `exit` null). */
export class HostStartError extends Error {
  constructor(
    message: string,
    readonly exit: HostExit | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'HostStartError';
  }
}

/** Build first: `npm run build` (npm test does it): the host and the window it serves. */
export function assertBuilt(): void {
  for (const f of [CLI, WINDOW_INDEX]) if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run build" first`);
}

/** Run `alicia serve` on free ports (optionally with a config.json) and wait until it is ready. */
export async function startHost(opts: StartHostOptions = {}): Promise<HostProcess> {
  assertBuilt();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'alicia-e2e-'));
  if (opts.config !== undefined) writeFileSync(join(dataDir, 'config.json'), JSON.stringify(opts.config));
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', dataDir, '--mqtt-port', '0', '--ws-port', '0', '--http-port', '0', ...(opts.args ?? [])],
    // ALICIA_DATA_DIR emptied: --data-dir is the only data dir in play
    { cwd: ROOT, env: { ...process.env, ALICIA_DATA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let all = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out = (out + d).slice(-OUTPUT_KEEP);
    all = (all + d).slice(-OUTPUT_KEEP);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-OUTPUT_KEEP);
    all = (all + d).slice(-OUTPUT_KEEP);
  });
  let exit: HostExit | null = null;
  const exited = new Promise<HostExit>((r) => child.on('exit', (code, signal) => r((exit = { code, signal }))));

  const stop = async ({ keep = false } = {}): Promise<HostExit & { ms: number }> => {
    const t0 = Date.now();
    if (!exit) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_KILL_MS);
    const r = await exited;
    clearTimeout(timer);
    const ms = Date.now() - t0;
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
    return { ...r, ms };
  };

  // A runtime.json left by a killed host stays (the host must cope with it, host.test.ts proves it);
  // ready means a new one (its pid differs) and the URL line on stdout.
  const file = join(dataDir, 'runtime.json');
  const stale = existsSync(file) ? readFileSync(file, 'utf8') : null;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (!out.includes('running at') || !existsSync(file) || readFileSync(file, 'utf8') === stale) {
    const why = exit
      ? `the host exited (${JSON.stringify(exit)}) before it was ready`
      : Date.now() > deadline
        ? `the host was not ready within ${opts.timeoutMs ?? 90_000} ms`
        : null;
    if (why) {
      const exitBeforeReady = exit as HostExit | null;
      child.kill('SIGKILL');
      await stop({ keep: opts.dataDir !== undefined });
      throw new HostStartError(`${why}\nstdout: ${out.slice(-3000)}\nstderr: ${err.slice(-3000)}`, exitBeforeReady, out, err);
    }
    await sleep(100);
  }
  const runtime = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  return { child, dataDir, runtime, stdout: () => out, stderr: () => err, output: () => all, exited, stop };
}

/** An operator MQTT client (MQTT 3.1.1 over TCP with TCP_NODELAY, no reconnect). */
export async function operatorClient(rt: RuntimeInfo): Promise<MqttClient> {
  const c = await mqtt.connectAsync(rt.mqtt.url, {
    username: rt.mqtt.username,
    password: rt.mqtt.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: `e2e-op-${newId().slice(0, 8)}`,
  });
  // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip without it (docs/benchmarks.md); MQTT.js has no option for it
  (c.stream as Partial<Socket>).setNoDelay?.(true);
  return c;
}

export interface ServiceState {
  service: string;
  state: string;
  pid: number | null;
  restarts: number;
  startedAt: number | null;
}

export interface Answer {
  /** the topic it arrived on (reply or error topic) */
  topic: string;
  correlation_id: string | undefined;
  ok: boolean | undefined;
  code: string | undefined;
  request_topic: string | undefined;
  at: number;
  body: Record<string, unknown> | null;
}

/** Reply and error topics of every request topic, deduplicated. */
export function answerTopics(): string[] {
  const out = new Set<string>();
  for (const p of Object.keys(TOPICS) as TopicPattern[]) {
    const d = TOPICS[p] as { kind: string; reply?: string; error?: string };
    if (d.kind !== 'request') continue;
    if (d.reply) out.add(d.reply);
    if (d.error) out.add(d.error);
  }
  return [...out];
}

/** The host with an operator client that records service states and every answer (reliability tests, soak bench). */
export class Host {
  readonly answers: Answer[] = [];
  /** answers by correlation id (several when something answered twice) */
  readonly byCorrelation = new Map<string, Answer[]>();
  readonly states = new Map<string, ServiceState>();
  /** every service state change seen, in order */
  readonly stateLog: ServiceState[] = [];

  private constructor(
    readonly proc: HostProcess,
    readonly op: MqttClient,
  ) {}

  static async start(opts: StartHostOptions = {}): Promise<Host> {
    const proc = await startHost(opts);
    let op: MqttClient;
    try {
      op = await operatorClient(proc.runtime);
    } catch (e) {
      await proc.stop({ keep: opts.dataDir !== undefined });
      throw e;
    }
    const host = new Host(proc, op);
    await host.track();
    return host;
  }

  get child(): ChildProcess {
    return this.proc.child;
  }

  get dataDir(): string {
    return this.proc.dataDir;
  }

  get runtime(): RuntimeInfo {
    return this.proc.runtime;
  }

  get pid(): number {
    return this.proc.child.pid!;
  }

  stdout(): string {
    return this.proc.stdout();
  }

  stderr(): string {
    return this.proc.stderr();
  }

  exited(): Promise<HostExit> {
    return this.proc.exited;
  }

  private async track(): Promise<void> {
    const answerSet = new Set(answerTopics());
    this.op.on('message', (topic, payload) => {
      if (topic.startsWith('alicia/system/services/')) {
        try {
          const s = JSON.parse(payload.toString('utf8')) as ServiceState;
          this.states.set(s.service, s);
          this.stateLog.push(s);
        } catch {
          /* a cleared retained state */
        }
        return;
      }
      if (!answerSet.has(topic)) return;
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = null;
      }
      const err = body?.error as { code?: unknown } | undefined;
      const a: Answer = {
        topic,
        correlation_id: typeof body?.correlation_id === 'string' ? body.correlation_id : undefined,
        ok: typeof body?.ok === 'boolean' ? body.ok : undefined,
        code: typeof err?.code === 'string' ? err.code : undefined,
        request_topic: typeof body?.request_topic === 'string' ? body.request_topic : undefined,
        at: Date.now(),
        body,
      };
      this.answers.push(a);
      if (a.correlation_id) {
        const list = this.byCorrelation.get(a.correlation_id);
        if (list) list.push(a);
        else this.byCorrelation.set(a.correlation_id, [a]);
      }
    });
    await this.op.subscribeAsync([...answerSet, 'alicia/system/services/+'], { qos: 1 });
  }

  /** Wait until every service is `running` (optionally: with a pid other than the given ones). */
  async allRunning(timeoutMs = 60_000, notPids: ReadonlySet<number> = new Set()): Promise<void> {
    await until(
      `all services running (${[...this.states.values()].map((s) => `${s.service}:${s.state}`).join(' ')})`,
      () =>
        SERVICE_NAMES.every((n) => {
          const s = this.states.get(n);
          return s?.state === 'running' && s.pid !== null && !notPids.has(s.pid);
        }),
      timeoutMs,
    );
  }

  /** Publish a sealed request (QoS 1) and return its correlation id. */
  send(
    pattern: RequestTopic,
    body: Record<string, unknown>,
    opts: { correlation_id?: string; session_id?: string; deadline?: number } = {},
  ): string {
    const correlation_id = opts.correlation_id ?? newId();
    const msg = seal(body, {
      source: 'operator',
      correlation_id,
      ...(opts.session_id ? { session_id: opts.session_id } : {}),
      ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
    });
    this.op.publish(pattern, JSON.stringify(msg), { qos: 1 });
    return correlation_id;
  }

  /** Send and wait for the answer (reply or error topic) with that correlation id. */
  async ask(pattern: RequestTopic, body: Record<string, unknown>, timeoutMs = 20_000): Promise<Answer> {
    const id = this.send(pattern, body);
    return until(`an answer to ${pattern}`, () => this.byCorrelation.get(id)?.[0], timeoutMs);
  }

  /** SIGKILL the host (its services are orphaned and must notice: their broker is gone). */
  async kill9(): Promise<void> {
    this.proc.child.kill('SIGKILL');
    await this.proc.exited;
    await this.op.endAsync(true).catch(() => undefined);
  }

  /** Disconnect the operator, then SIGTERM and wait; removes the data dir unless keep. */
  async stop(opts: { keep?: boolean } = {}): Promise<HostExit & { ms: number }> {
    await this.op.endAsync(true).catch(() => undefined);
    return this.proc.stop(opts);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Direct children of a pid (Linux /proc), to prove nothing is left behind. */
export function childPids(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) if (t) out.push(Number(t));
    return out;
  } catch {
    return [];
  }
}

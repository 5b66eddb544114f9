import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { newId, seal } from '../../services/protocol/envelope.js';
import { SERVICE_NAMES } from '../../services/protocol/services.js';
import { TOPICS, type RequestTopic, type TopicPattern } from '../../services/protocol/topics.js';

/**
 * The whole headless host (`node dist/electron/cli.js serve`) as a child process, with an operator
 * MQTT client that tracks service states and every answer to the requests it sends. Shared by the
 * reliability tests (vitest, from source) and the soak benchmark (compiled to dist/e2e), so it lives
 * outside e2e/testing (which the e2e build excludes).
 */

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root');
}

export const ROOT = repoRoot();
export const CLI = join(ROOT, 'dist', 'electron', 'cli.js');

export interface RuntimeJson {
  mqtt: { url: string; username: string; password: string };
  ws: { url: string };
  http: { url: string };
  pid: number;
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

export interface HostOptions {
  /** reuse a data dir (restart tests); default a fresh temp dir */
  dataDir?: string;
  /** written to <dataDir>/config.json before start */
  config?: unknown;
  readyTimeoutMs?: number;
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

export class Host {
  readonly answers: Answer[] = [];
  /** answers by correlation id (several when something answered twice) */
  readonly byCorrelation = new Map<string, Answer[]>();
  readonly states = new Map<string, ServiceState>();
  /** every service state change seen, in order */
  readonly stateLog: ServiceState[] = [];
  op!: MqttClient;
  runtime!: RuntimeJson;
  private out = '';
  private err = '';
  private exitInfo: { code: number | null; signal: string | null } | null = null;
  private exitWaiters: ((v: { code: number | null; signal: string | null }) => void)[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out = (this.out + d).slice(-200_000)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-200_000)));
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w(this.exitInfo);
    });
  }

  static spawnCli(dataDir: string): ChildProcess {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npx tsc -b tsconfig.build.json" first`);
    return spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--mqtt-port', '0', '--ws-port', '0', '--http-port', '0'], {
      cwd: ROOT,
      env: { ...process.env, ALICIA_DATA_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  static async start(opts: HostOptions = {}): Promise<Host> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'alicia-rel-'));
    if (opts.config !== undefined) writeFileSync(join(dataDir, 'config.json'), JSON.stringify(opts.config));
    // a runtime.json left by a killed host must not be mistaken for the new one
    rmSync(join(dataDir, 'runtime.json'), { force: true });
    const host = new Host(Host.spawnCli(dataDir), dataDir);
    const file = join(dataDir, 'runtime.json');
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
    while (!existsSync(file) || !host.out.includes('running at')) {
      if (host.exitInfo) throw new Error(`host exited (${JSON.stringify(host.exitInfo)}) before it was ready\n${host.err.slice(-3000)}`);
      if (Date.now() > deadline) {
        host.child.kill('SIGKILL');
        throw new Error(`host not ready in time\n${host.err.slice(-3000)}`);
      }
      await sleep(100);
    }
    host.runtime = JSON.parse(readFileSync(file, 'utf8')) as RuntimeJson;
    await host.connect();
    return host;
  }

  get pid(): number {
    return this.child.pid!;
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  exited(): Promise<{ code: number | null; signal: string | null }> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((r) => this.exitWaiters.push(r));
  }

  private async connect(): Promise<void> {
    const rt = this.runtime;
    const op = await mqtt.connectAsync(rt.mqtt.url, {
      username: rt.mqtt.username,
      password: rt.mqtt.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: `rel-op-${newId().slice(0, 8)}`,
    });
    // Nagle + delayed ACK: ~88 ms per QoS 1 round trip without it (PLATFORM.md)
    (op.stream as Partial<Socket>).setNoDelay?.(true);
    this.op = op;
    const answerSet = new Set(answerTopics());
    op.on('message', (topic, payload) => {
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
    await op.subscribeAsync([...answerSet, 'alicia/system/services/+'], { qos: 1 });
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
    this.child.kill('SIGKILL');
    await this.exited();
    await this.op?.endAsync(true).catch(() => undefined);
  }

  /** SIGTERM, wait; remove the data dir unless keep. */
  async stop(opts: { keep?: boolean } = {}): Promise<{ code: number | null; signal: string | null }> {
    await this.op?.endAsync(true).catch(() => undefined);
    if (!this.exitInfo) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const r = await this.exited();
    clearTimeout(t);
    if (!opts.keep) rmSync(this.dataDir, { recursive: true, force: true });
    return r;
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

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

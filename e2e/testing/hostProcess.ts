import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(ROOT, 'dist', 'electron', 'cli.js');

export interface RuntimeJson {
  mqtt: { url: string; username: string; password: string };
  ws: { url: string };
  http: { url: string };
  pid: number;
}

export interface HostProcess {
  child: ChildProcess;
  dataDir: string;
  runtime: RuntimeJson;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** SIGTERM and wait for the exit; removes the data dir unless keep */
  stop(opts?: { keep?: boolean }): Promise<{ code: number | null; signal: string | null; ms: number }>;
}

/** Build first: `npx tsc -b tsconfig.build.json` (npm test does it). */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npx tsc -b tsconfig.build.json" first`);
}

/** Run `alicia serve` on free ports in a fresh data dir (optionally with a config.json) and wait for runtime.json. */
export async function startHost(
  opts: { config?: unknown; timeoutMs?: number; args?: string[]; dataDir?: string } = {},
): Promise<HostProcess> {
  assertBuilt();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'alicia-e2e-'));
  if (opts.config !== undefined) writeFileSync(join(dataDir, 'config.json'), JSON.stringify(opts.config));
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', dataDir, '--mqtt-port', '0', '--ws-port', '0', '--http-port', '0', ...(opts.args ?? [])],
    {
      cwd: ROOT,
      env: { ...process.env, ALICIA_DATA_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const file = join(dataDir, 'runtime.json');
  const stale = existsSync(file) ? readFileSync(file, 'utf8') : null;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (!existsSync(file) || !out.includes('running at') || readFileSync(file, 'utf8') === stale) {
    if (done) throw new Error(`host exited before it was ready\nstdout: ${out}\nstderr: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`host not ready in time\nstdout: ${out}\nstderr: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const runtime = JSON.parse(readFileSync(file, 'utf8')) as RuntimeJson;
  return {
    child,
    dataDir,
    runtime,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop({ keep = false } = {}) {
      const t0 = Date.now();
      if (!done) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const r = await exited;
      clearTimeout(timeout);
      const ms = Date.now() - t0;
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
      return { ...r, ms };
    },
  };
}

/** An operator MQTT client (TCP, TCP_NODELAY) that records every message on the filters it subscribes. */
export async function operatorClient(rt: RuntimeJson): Promise<MqttClient> {
  const c = await mqtt.connectAsync(rt.mqtt.url, {
    username: rt.mqtt.username,
    password: rt.mqtt.password,
    reconnectPeriod: 0,
    clientId: `e2e-${Math.random().toString(16).slice(2)}`,
  });
  (c.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  return c;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
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

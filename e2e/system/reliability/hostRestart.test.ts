import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Host, HostStartError, sleep, startHost, until } from '../../support/host.js';
import { pidAlive } from '../../../electron/host/supervisor/launcher.js';

/**
 * docs/reliability.md "Faults": the host itself killed -9 and restarted on the same data dir: device registry,
 * device states (retained status), recorded history intact, SQLite integrity_check ok, services
 * back with no manual step. And a data dir that is read-only or full at start: a clear error naming
 * the path, exit code non-zero once, no crash loop.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'alicia-restart-'));
let host: Host | null = null;

afterAll(async () => {
  await host?.stop({ keep: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function integrity(path: string): string {
  // read-write open: replays the WAL a killed writer left, exactly as the next start does
  const db = new Database(path);
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) + ` (${db.prepare('PRAGMA journal_mode').pluck().get() as string})`;
  } finally {
    db.close();
  }
}

describe('host kill -9 and restart on the same data dir', () => {
  it('keeps registry, device states and history; SQLite intact; services back by themselves', async () => {
    host = await Host.start({ dataDir });
    await host.allRunning();
    const h1 = host;
    const servicePids = [...h1.states.values()].map((s) => s.pid!).filter(Boolean);

    // 1. change things: a new device, device states, some history
    const added = await h1.ask('alicia/device/registry/request', {
      action: 'add',
      device: { device_id: 'rel_plug', name: 'reliability plug', kind: 'switch', room: 'lab' },
    });
    expect(added.ok).toBe(true);
    const cmds: string[] = [];
    for (const [device_id, action, params] of [
      ['kitchen_light', 'set_brightness', { brightness: 42 }],
      ['rel_plug', 'turn_on', {}],
      ['front_door', 'unlock', {}],
    ] as const) {
      const a = await h1.ask('alicia/device/command', { device_id, action, params });
      expect(a.ok, JSON.stringify(a.body)).toBe(true);
      cmds.push(a.correlation_id!);
    }
    // the recorder batches every 100 ms: ask until its history has the answers (or 10 s passed)
    let recordedBefore: (string | null)[] = [];
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
      const before = await h1.ask('alicia/system/recorder/request', { query: 'messages', topic: 'alicia/device/response', limit: 100 });
      recordedBefore = (before.body?.messages as { correlation_id: string | null }[]).map((m) => m.correlation_id);
      if (cmds.every((c) => recordedBefore.includes(c))) break;
    }
    expect(recordedBefore).toEqual(expect.arrayContaining(cmds));

    // 2. kill -9 the host: its services lose their parent and must go too (no orphans)
    const tKill = Date.now();
    await h1.kill9();
    await until('orphaned services to exit', () => servicePids.every((p) => !pidAlive(p)), 15_000);
    const orphansGoneMs = Date.now() - tKill;

    // 3. the files a crash left behind are consistent
    const devicesDb = integrity(join(dataDir, 'services', 'device-manager', 'devices.db'));
    const recorderDb = integrity(join(dataDir, 'recorder.db'));
    expect(devicesDb).toMatch(/^ok /);
    expect(recorderDb).toMatch(/^ok /);

    // 4. start again on the same data dir, no manual step
    const tStart = Date.now();
    host = await Host.start({ dataDir });
    const h2 = host;
    await h2.allRunning();
    const recoverMs = Date.now() - tStart;

    const list = await h2.ask('alicia/device/registry/request', { action: 'list' });
    expect((list.body?.devices as { device_id: string }[]).map((d) => d.device_id)).toContain('rel_plug');
    // retained device states as they were
    const status = new Map<string, Record<string, unknown>>();
    h2.op.on('message', (topic, payload) => {
      if (!topic.startsWith('alicia/device/status/') || payload.length === 0) return;
      const m = JSON.parse(payload.toString()) as { device_id: string; state: Record<string, unknown> };
      status.set(m.device_id, m.state);
    });
    await h2.op.subscribeAsync('alicia/device/status/+', { qos: 1 });
    await until('device states', () => status.has('kitchen_light') && status.has('rel_plug') && status.has('front_door'), 10_000);
    expect(status.get('kitchen_light')).toMatchObject({ on: true, brightness: 42 });
    expect(status.get('rel_plug')).toMatchObject({ on: true });
    expect(status.get('front_door')).toMatchObject({ locked: false });
    // history from before the crash is still there
    const after = await h2.ask('alicia/system/recorder/request', { query: 'messages', topic: 'alicia/device/response', limit: 100 });
    const recordedAfter = (after.body?.messages as { correlation_id: string | null }[]).map((m) => m.correlation_id);
    expect(recordedAfter).toEqual(expect.arrayContaining(cmds));
    // and it works
    const again = await h2.ask('alicia/device/command', { device_id: 'rel_plug', action: 'turn_off', params: {} });
    expect(again.ok).toBe(true);

    process.stdout.write(
      `host kill -9: orphaned services gone ${orphansGoneMs} ms after; integrity_check devices.db ${devicesDb}, recorder.db ${recorderDb}; ` +
        `restarted and all ${h2.states.size} services running in ${recoverMs} ms; registry, 3 device states and ${cmds.length}/${cmds.length} recorded responses intact\n`,
    );
  }, 170_000);
});

/**
 * Run `alicia serve` (startHost) on a data dir that cannot be used; it must exit non-zero, once,
 * naming the path. Resolves with how it exited; a host that became ready fails the test.
 */
async function serveOnce(dir: string): Promise<{ code: number | null; stderr: string; ms: number; runtimeWritten: boolean }> {
  const t0 = Date.now();
  let failed: HostStartError;
  try {
    const h = await startHost({ dataDir: dir, timeoutMs: 30_000 });
    await h.stop({ keep: true });
    throw new Error(`the host started on an unusable data dir ${dir}`);
  } catch (e) {
    if (!(e instanceof HostStartError)) throw e;
    failed = e;
  }
  // exit null: not ready within 30 s and killed by startHost, i.e. hung instead of exiting
  return {
    code: failed.exit?.code ?? null,
    stderr: failed.stderr,
    ms: Date.now() - t0,
    runtimeWritten: existsSync(join(dir, 'runtime.json')),
  };
}

/** A tmpfs mounted read-only or tiny: real EROFS / ENOSPC even for root. Null where mounting is not allowed. */
function mountTmpfs(opts: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'alicia-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unusable data dir at start', () => {
  const root = process.getuid?.() === 0;

  it('read-only: a clear error naming the path, exit code 1, no crash loop', async (ctx) => {
    let dir = root ? mountTmpfs('ro,size=1m') : null;
    let mounted = dir !== null;
    if (!dir) {
      // not root (chmod binds) or no mount rights: a 0500 directory
      dir = mkdtempSync(join(tmpdir(), 'alicia-ro-'));
      execFileSync('chmod', ['0500', dir]);
      mounted = false;
      if (root) {
        // reported as skipped, never as passed
        rmSync(dir, { recursive: true, force: true });
        return ctx.skip('root without mount rights: a read-only tmpfs cannot be mounted, and chmod does not bind root');
      }
    }
    try {
      const r = await serveOnce(dir);
      process.stdout.write(`read-only data dir: exit ${r.code} after ${r.ms} ms: ${r.stderr.trim().split('\n').slice(-1)[0]}\n`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(dir);
      expect(r.runtimeWritten).toBe(false);
    } finally {
      if (mounted) unmount(dir);
      else rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('full disk: a clear error naming the path, exit code 1, no crash loop', async (ctx) => {
    const dir = root ? mountTmpfs('size=64k') : null;
    if (!dir) return ctx.skip('a full data dir is a small tmpfs: needs root with mount rights');
    try {
      // fill it up
      mkdirSync(join(dir, 'filler'));
      try {
        for (let i = 0; ; i++) writeFileSync(join(dir, 'filler', String(i)), Buffer.alloc(4096));
      } catch {
        /* ENOSPC: full */
      }
      const r = await serveOnce(dir);
      process.stdout.write(`full data dir: exit ${r.code} after ${r.ms} ms: ${r.stderr.trim().split('\n').slice(-1)[0]}\n`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(dir);
      expect(r.runtimeWritten).toBe(false);
    } finally {
      unmount(dir);
    }
  }, 60_000);
});

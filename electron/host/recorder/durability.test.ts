import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { connectClient, waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import { Recorder } from './recorder.js';

const root = resolve(import.meta.dirname, '../../..');
// Compiled into the project tree so the child resolves better-sqlite3, aedes ... from node_modules.
const outDir = join(root, 'dist', '.test', `recorder-host-${process.pid}`);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-durability-'));
  // The child runs under plain Node (no vitest transform): compile just the host and what it
  // imports. --noCheck: type errors are the type-check step's job, this only needs the JS.
  await promisify(execFile)(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      ...['--outDir', outDir, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023'],
      ...['--skipLibCheck', '--types', 'node', '--noCheck', '--declaration', 'false', '--sourceMap', 'false', '--incremental', 'false'],
      join(root, 'electron/host/recorder/testing/recorderHost.ts'),
      // loaded by URL from recorder.js (a worker thread), so tsc does not follow it from the host
      join(root, 'electron/host/recorder/recorderWorker.ts'),
    ],
    { cwd: root },
  );
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

interface Commit {
  lastId: number;
  lastTime: number;
  total: number;
}

function startHost(
  dataDir: string,
  dbPath: string,
): { child: ChildProcess; ready: Promise<{ url: string; username: string; password: string }>; commits: Commit[] } {
  const child = spawn(process.execPath, [join(outDir, 'electron/host/recorder/testing/recorderHost.js'), dataDir, dbPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const commits: Commit[] = [];
  const ready = new Promise<{ url: string; username: string; password: string }>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`host exited early (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as { ready?: { url: string; username: string; password: string }; commit?: Commit };
      if (m.ready) res(m.ready);
      if (m.commit) commits.push(m.commit);
    });
  });
  return { child, ready, commits };
}

describe('recorder durability', () => {
  it('after kill -9 mid-stream the database is intact, holds every message up to the last committed batch, and a new recorder carries on', async () => {
    const dbPath = join(dir, 'history.db');
    const host = startHost(join(dir, 'data'), dbPath);
    const info = await host.ready;
    const client = await connectClient(info.url, { username: info.username, password: info.password, clientId: 'durability-pub' });
    client.on('error', () => {}); // the broker vanishing is the point of this test

    // Publish sequentially with QoS 1 (each PUBACK awaited), so broker arrival order = seq order.
    const acked: number[] = [];
    let stop = false;
    const publishing = (async () => {
      for (let seq = 0; !stop; seq++) {
        try {
          await client.publishAsync('alicia/broadcast/durable', JSON.stringify(seal({ message: 'tick', seq }, { source: 'test' })), {
            qos: 1,
          });
          acked.push(seq);
        } catch {
          return;
        }
      }
    })();
    await waitFor(() => host.commits.length >= 5 && acked.length >= 500, 'messages flowing and batches committed', 20_000);
    const exited = new Promise((r) => host.child.once('exit', r));
    host.child.kill('SIGKILL');
    await exited;
    stop = true;
    client.end(true);
    await publishing;
    const last = host.commits[host.commits.length - 1]!;

    const db = new Database(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = (
      db.prepare("SELECT id, payload FROM message_rows WHERE topic = 'alicia/broadcast/durable' ORDER BY id").all() as {
        id: number;
        payload: Buffer;
      }[]
    ).map((r) => ({
      id: r.id,
      seq: (JSON.parse(r.payload.toString()) as { seq: number }).seq,
    }));
    db.close();
    // The last batch the host reported as committed is on disk ...
    const lastRow = rows.find((r) => r.id === last.lastId);
    expect(lastRow).toBeDefined();
    // ... and so is every message that reached the broker before it: seq 0..n without a gap.
    const n = lastRow!.seq;
    expect(rows.slice(0, n + 1).map((r) => r.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
    // every message acknowledged up to that point is there; rows after it (later batches the
    // kill may or may not have let through) are still contiguous
    expect(acked.filter((s) => s <= n).length).toBe(n + 1);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i));
    expect(rows.length).toBeGreaterThanOrEqual(last.total);

    // A new recorder on the same file goes on where the old one stopped.
    const tb = await startTestBroker();
    const recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10 });
    try {
      await recorder.start();
      expect(recorder.stats().rows).toBe(rows.length);
      for (let i = 0; i < 10; i++)
        await tb.broker.publish(
          'alicia/broadcast/durable',
          JSON.stringify(seal({ message: 'after', seq: rows.length + i }, { source: 'test' })),
        );
      await waitFor(() => recorder.stats().written === 10, 'new rows written');
      expect(recorder.stats().rows).toBe(rows.length + 10);
      expect(recorder.stats().last_commit!.id).toBeGreaterThan(rows[rows.length - 1]!.id);
    } finally {
      await recorder.stop();
      await tb.stop();
    }
    const db2 = new Database(dbPath, { readonly: true });
    expect(db2.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db2.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(rows.length + 10);
    db2.close();
  }, 90_000);
});

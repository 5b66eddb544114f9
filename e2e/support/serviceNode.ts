import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, ROOT, sleep, type HostExit } from './host.js';

const run = promisify(execFile);

export interface NodeProcess {
  child: ChildProcess;
  dataDir: string;
  output(): string;
  exited: Promise<HostExit>;
  /** SIGTERM (SIGKILL after 10 s), wait for the exit, remove the data dir */
  stop(): Promise<HostExit>;
}

/**
 * A service node as a user runs it (`alicia node`), here on the same machine: the credentials
 * exported from the host's data dir (`alicia credentials export`) into the node's own data dir, then
 * the node process against the host's broker. Ready when it prints that it is running.
 */
export async function startNodeProcess(o: {
  hostDataDir: string;
  brokerUrl: string;
  name: string;
  services: string[];
  /** with mqtts://: the CA of the broker's certificate (the host's lan-cert.pem) */
  caFile?: string;
  timeoutMs?: number;
}): Promise<NodeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `alicia-node-${o.name}-`));
  const services = o.services.join(',');
  await run(process.execPath, [
    CLI,
    'credentials',
    'export',
    '--data-dir',
    o.hostDataDir,
    '--services',
    services,
    '--out',
    join(dataDir, 'node-credentials.json'),
  ]);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'node',
      '--broker',
      o.brokerUrl,
      '--data-dir',
      dataDir,
      '--services',
      services,
      '--name',
      o.name,
      ...(o.caFile ? ['--ca', o.caFile] : []),
    ],
    { cwd: ROOT, env: { ...process.env, ALICIA_DATA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let all = '';
  const keep = (d: string) => (all = (all + d).slice(-1024 * 1024));
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let exit: HostExit | null = null;
  const exited = new Promise<HostExit>((r) => child.on('exit', (code, signal) => r((exit = { code, signal }))));
  const stop = async (): Promise<HostExit> => {
    if (!exit) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const r = await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
    return r;
  };
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  while (!all.includes('is running')) {
    if (exit || Date.now() > deadline) {
      await stop();
      throw new Error(`the node ${o.name} did not start (${exit ? JSON.stringify(exit) : 'timeout'}): ${all.slice(-3000)}`);
    }
    await sleep(100);
  }
  return { child, dataDir, output: () => all, exited, stop };
}

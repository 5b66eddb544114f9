import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The user's own broker in tests: Debian's Mosquitto with its own config, on a free port, password auth. */
export interface UpstreamMosquitto {
  url: string;
  port: number;
  /** the user the bridge connects as, and a second one for the test's own "device" client */
  bridgeUser: { username: string; password: string };
  deviceUser: { username: string; password: string };
  /** the running process's PID (changes on restart) */
  pid(): number;
  /** SIGTERM by PID and wait for the exit */
  kill(): Promise<void>;
  /** start it again on the same port with the same config */
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

/** Start `mosquitto -c FILE` (allow_anonymous false, a passwd file made with mosquitto_passwd); stop() removes its dir. */
export async function startUpstreamMosquitto(): Promise<UpstreamMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-upstream-mosq-'));
  const port = await freePort();
  const bridgeUser = { username: 'alicia', password: 'bridge-secret-1' };
  const deviceUser = { username: 'z2m', password: 'device-secret-2' };
  const passwd = join(dir, 'passwd');
  await writeFile(passwd, '', { mode: 0o600 });
  for (const u of [bridgeUser, deviceUser]) await run('mosquitto_passwd', ['-b', passwd, u.username, u.password]);
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      // started as root, mosquitto switches to its own user, which cannot read this 0700 temp dir
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'allow_anonymous false',
      `password_file ${passwd}`,
      'persistence false',
      'log_dest stderr',
      'set_tcp_nodelay true',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const start = async () => {
    const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    p.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8192)));
    exited = new Promise<void>((r) => p.once('exit', () => r()));
    const end = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (p.exitCode !== null || Date.now() > end) {
        p.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${port}: ${stderr.trim() || 'timeout'}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    process.kill(p.pid!, 'SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    bridgeUser,
    deviceUser,
    pid: () => proc?.pid ?? 0,
    kill,
    start,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

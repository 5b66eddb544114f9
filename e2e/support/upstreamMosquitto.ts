import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, MosquittoProcess } from './mosquitto.js';

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
  const proc = new MosquittoProcess(conf, port);
  const { start, stop: kill } = proc;
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    bridgeUser,
    deviceUser,
    pid: () => proc.pid ?? 0,
    kill,
    start,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

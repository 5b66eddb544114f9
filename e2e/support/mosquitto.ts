import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMosquittoConfig, type BrokerConfigResult } from '../../electron/host/external/mosquittoConfig.js';

/** Debian's broker (build/setup.sh APT_PACKAGES: mosquitto). */
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/** A port nobody listens on right now (bound, then released for Mosquitto to take). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface TestMosquitto {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  port: number;
  /** mqtts://127.0.0.1:PORT of the TLS listener, when asked for one */
  tlsUrl: string | null;
  /** the files `alicia broker-config mosquitto` wrote */
  config: BrokerConfigResult;
  /** the running broker's pid, null while stopped */
  readonly pid: number | null;
  /** everything it logged (stderr), across restarts */
  log(): string;
  /** SIGTERM by pid and wait for the exit (it saves its persistent sessions first) */
  stop(): Promise<void>;
  /** start again on the same port with the same files and saved sessions */
  start(): Promise<void>;
  /** stop, and remove the config directory */
  dispose(): Promise<void>;
}

/**
 * A real Debian Mosquitto for tests, configured exactly as a user would (`alicia broker-config
 * mosquitto --data-dir DIR --out OUT`, then `mosquitto -c OUT/mosquitto.conf`), on a free port,
 * started and stopped by its pid. DIR must hold (or will get) the credentials.json the host uses.
 */
export async function startTestMosquitto(
  dataDir: string,
  opts: { tls?: { certFile: string; keyFile: string } } = {},
): Promise<TestMosquitto> {
  const outDir = await mkdtemp(join(tmpdir(), 'alicia-mosquitto-'));
  const port = await freePort();
  const config = await writeMosquittoConfig({ dataDir, outDir, port });
  let tlsUrl: string | null = null;
  if (opts.tls) {
    // a second listener, as a user adds one for mqtts:// (password_file and acl_file apply to every listener)
    const tlsPort = await freePort();
    await appendFile(config.files.conf, `\nlistener ${tlsPort} 127.0.0.1\ncertfile ${opts.tls.certFile}\nkeyfile ${opts.tls.keyFile}\n`);
    tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
  }
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let logText = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const c = spawn(MOSQUITTO_BIN, ['-c', config.files.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    exited = new Promise((r) => c.once('exit', () => r()));
    let mine = '';
    c.stderr.setEncoding('utf8').on('data', (d: string) => {
      mine += d;
      logText = (logText + d).slice(-200_000);
    });
    // it says so once its listener is open
    const deadline = Date.now() + 10_000;
    while (!/ running$/m.test(mine)) {
      if (c.exitCode !== null || c.signalCode !== null || Date.now() > deadline) {
        child = null;
        c.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${port}: ${mine.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c) return;
    child = null;
    process.kill(c.pid!, 'SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl,
    config,
    get pid() {
      return child?.pid ?? null;
    },
    log: () => logText,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

import { accessSync, chmodSync, constants, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AliciaError } from '../../services/lib/protocol/errors.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { createLogger, stderrSink } from '../../services/lib/runtime/logger.js';
import type { Logger, LogLevel } from '../../services/lib/runtime/logger.js';
import { SHARED_WINDOW } from '../../services/lib/protocol/services.js';
import { loadConfig } from './config.js';
import { brokerUrlProblem } from './external/externalBroker.js';
import type { ConfigOverrides } from './config.js';
import { hostCertificate, startCore } from './core.js';
import type { Core } from './core.js';
import { HostHttpServer } from './http/server.js';
import { RUNTIME_FILE, appRoot, defaultDataDir, rendererDir, servicesDir } from './paths.js';
import { RotatingFile } from './supervisor/rotatingFile.js';
import { NodeLauncher } from './supervisor/nodeLauncher.js';
import { pidAlive } from './supervisor/launcher.js';

export interface ServeOptions extends ConfigOverrides {
  dataDir: string;
}

/** A usage error: the CLI prints it with the usage text and exits 2. */
export class UsageError extends Error {}

export const SERVE_USAGE = `Usage: alicia serve [options]

Runs the Alicia host without a window: MQTT broker, recorder, all services, and the control
center in your browser.

Options:
  --data-dir DIR    data directory (default: $ALICIA_DATA_DIR, else ~/.alicia)
  --host ADDR       listen address of the web page and the broker's WebSocket (default from
                    config: 127.0.0.1). Any address but 127.0.0.1, ::1 or localhost reaches the
                    network and needs --tls. Plain MQTT over TCP always stays on 127.0.0.1.
  --tls             serve the web page over HTTPS and the WebSocket over WSS, with the host's
                    self-signed certificate (its fingerprint is printed; config: "tls")
  --mqtt-port N     MQTT over TCP port, 127.0.0.1 only (default from config: 1883; 0 = any free port)
  --ws-port N       MQTT over WebSocket port (default from config: 9001; 0 = any free port)
  --http-port N     control center web page port (default from config: 8470; 0 = any free port)
  --broker URL      run on your own broker (mqtt://HOST:PORT or mqtts://...) instead of the embedded
                    one: every part connects there with its own credential from DIR/credentials.json
                    (alicia broker-config writes them for Mosquitto); config: broker.external
  --broker-ws URL   with --broker: the window connects to that broker's WebSocket listener
                    (ws:// or wss://) instead of through the host (config: broker.external.ws_url)
  -h, --help        show this help

When ready it prints the control center's URL with a login token (new at every start) and
writes DIR/runtime.json (mode 0600: that URL as http.url, the broker URL and the operator
credential for tools such as mosquitto_sub). Opening the URL signs that browser in.
Ctrl+C (SIGINT) or SIGTERM stops everything.`;

function parsePort(flag: string, v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535)
    throw new UsageError(`${flag} must be a port number 0-65535 (0 = any free port), got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Parse `serve` flags. Returns null for --help. Throws UsageError for unknown flags and bad values. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions | null {
  const out: ServeOptions = { dataDir: defaultDataDir(env) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return null;
    if (arg === '--tls') {
      out.tls = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--data-dir': {
        const v = value();
        if (!v) throw new UsageError('--data-dir needs a directory');
        out.dataDir = resolve(v);
        break;
      }
      case '--host': {
        const v = value();
        if (!/^[A-Za-z0-9.:[\]-]+$/.test(v)) throw new UsageError(`--host must be an address such as 127.0.0.1, got ${JSON.stringify(v)}`);
        out.host = v;
        break;
      }
      case '--mqtt-port':
        out.mqttPort = parsePort(flag, value());
        break;
      case '--ws-port':
        out.wsPort = parsePort(flag, value());
        break;
      case '--http-port':
        out.httpPort = parsePort(flag, value());
        break;
      case '--broker': {
        const v = value();
        const problem = brokerUrlProblem(v);
        if (problem) throw new UsageError(`--broker ${problem}`);
        out.brokerUrl = v;
        break;
      }
      case '--broker-ws': {
        const v = value();
        const problem = brokerUrlProblem(v, ['ws:', 'wss:']);
        if (problem) throw new UsageError(`--broker-ws ${problem}`);
        out.brokerWsUrl = v;
        break;
      }
      default:
        throw new UsageError(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument ${JSON.stringify(arg)}`);
    }
  }
  return out;
}

/**
 * Host log: JSON lines to <dataDir>/logs/<origin>.log at the configured level, warnings and errors
 * also to stderr. `origin`: `host`, or `node` for a service node (`alicia node`).
 */
export function createHostLogger(dataDir: string, level: LogLevel, origin: 'host' | 'node' = 'host'): Logger {
  const file = new RotatingFile(join(dataDir, 'logs', `${origin}.log`), {}, (e) =>
    process.stderr.write(`cannot write ${origin} log: ${e.message}\n`),
  );
  return createLogger(origin, {
    level,
    sink: (line, lvl) => {
      file.append(line);
      stderrSink(line, lvl);
    },
  });
}

/** Create the data dir (0700) and prove it is writable; AliciaError CONFIG_INVALID naming the path otherwise. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK);
    const probe = join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new AliciaError(
      'CONFIG_INVALID',
      `data directory ${dataDir} is not writable (${code}); choose another with --data-dir or ALICIA_DATA_DIR`,
      { path: dataDir },
    );
  }
}

/** After a kill -9 the pid in a stale runtime.json may belong to an unrelated process by now (Linux: check its command line). */
function looksLikeHost(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /cli\.js|start\.js|alicia|electron/i.test(cmd);
  } catch {
    return true; // no /proc (macOS, Windows): trust the pid
  }
}

/**
 * Refuse a second host on the same data dir (two supervisors would run every service twice), and a
 * service node on a host's (its services would share their data and log files).
 */
export function checkNotRunning(dataDir: string): void {
  const file = join(dataDir, RUNTIME_FILE);
  try {
    const rt = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (typeof rt.pid === 'number' && rt.pid !== process.pid && pidAlive(rt.pid) && looksLikeHost(rt.pid)) {
      throw new AliciaError(
        'CONFIG_INVALID',
        `another Alicia host (pid ${rt.pid}) is using ${dataDir} (see ${file}); stop it or use another --data-dir`,
      );
    }
  } catch (e) {
    if (e instanceof AliciaError) throw e;
    /* absent or unreadable: a stale file from a killed host, replaced when we are ready */
  }
}

export interface RuntimeInfo {
  mqtt: { url: string; username: string; password: string };
  ws: { url: string };
  /** url: the window's URL with the login token (opening it signs a browser in); fingerprint256: with TLS, the certificate's */
  http: { url: string; fingerprint256?: string };
  pid: number;
}

/** Atomic write with mode 0600 (it holds the operator credential and the login token). */
export function writeRuntimeFile(dataDir: string, info: RuntimeInfo): string {
  const file = join(dataDir, RUNTIME_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

export interface RunningHost {
  core: Core;
  http: HostHttpServer;
  runtimeFile: string;
  info: RuntimeInfo;
  /** stops HTTP, services, recorder, broker; removes runtime.json. Idempotent. */
  stop(): Promise<void>;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Start the headless host: data dir -> config -> HTTP server (its port fixes the window's Origin,
 * which the broker's WebSocket listener must know) -> core (credentials, broker, recorder,
 * supervisor + services) -> wait for the services -> runtime.json.
 */
export async function startHeadless(opts: ServeOptions): Promise<RunningHost> {
  const dataDir = resolve(opts.dataDir);
  prepareDataDir(dataDir);
  checkNotRunning(dataDir);
  const config = loadConfig(dataDir, opts);
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const log = createHostLogger(dataDir, config.log_level);
  const version = packageVersion();

  // the certificate first: the web server needs it to listen (HTTPS), the broker for WSS
  const certificate = await hostCertificate(dataDir, config, config.host, log);
  const tls = config.tls && certificate ? { cert: certificate.cert, key: certificate.key } : null;
  const http = new HostHttpServer({ host: config.host, port: config.ports.http, rendererDir: rendererDir(), version, log, tls });
  try {
    await http.start();
  } catch (e) {
    throw listenError(e, 'HTTP', config.host, config.ports.http, '--http-port');
  }
  let core: Core;
  try {
    core = await startCore({
      dataDir,
      host: config.host,
      mqttPort: config.ports.mqtt,
      wsPort: config.ports.ws,
      launcher: new NodeLauncher(),
      servicesDir: servicesDir(),
      config,
      log,
      allowedOrigins: http.allowedOrigins,
      version,
      certificate,
    });
  } catch (e) {
    await http.stop();
    const err = e as NodeJS.ErrnoException & { port?: number };
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES')
      throw listenError(e, 'MQTT/WebSocket', config.host, err.port ?? config.ports.mqtt, '--mqtt-port / --ws-port');
    throw e;
  }
  http.attach({
    wsUrl: core.addresses.wsUrl,
    sessions: core.windowSessions,
    ...(core.brokerInfo.window === 'broker' ? { sharedCredential: () => core.credentials.get(SHARED_WINDOW) } : {}),
  });

  const settled = await core.whenServicesSettled();
  const notRunning = SERVICE_NAMES.filter((name) => config.services[name].enabled && settled[name] !== 'running').map((name) => [
    name,
    settled[name],
  ]);
  if (notRunning.length > 0) {
    log.warn('some services are not running', { services: Object.fromEntries(notRunning), logs: join(dataDir, 'logs') });
  }

  const operator = core.credentials.get('operator');
  const info: RuntimeInfo = {
    mqtt: { url: core.addresses.mqttUrl, username: operator.username, password: operator.password },
    ws: { url: core.addresses.wsUrl },
    http: { url: http.loginUrl, ...(tls && certificate ? { fingerprint256: certificate.fingerprint256 } : {}) },
    pid: process.pid,
  };
  const runtimeFile = writeRuntimeFile(dataDir, info);
  // the URL without its token: the log may be read by more people than runtime.json (0600)
  log.info('ready', {
    http: http.url,
    mqtt: info.mqtt.url,
    ws: info.ws.url,
    ...(info.http.fingerprint256 ? { fingerprint256: info.http.fingerprint256 } : {}),
  });

  let stopping: Promise<void> | undefined;
  return {
    core,
    http,
    runtimeFile,
    info,
    stop: () =>
      (stopping ??= (async () => {
        try {
          rmSync(runtimeFile, { force: true });
        } catch {
          /* a read-only dir now: the pid check handles the stale file */
        }
        await http.stop().catch((e: unknown) => log.error('stopping http failed', { error: String(e) }));
        await core.stop();
      })()),
  };
}

function listenError(e: unknown, what: string, host: string, port: number, flag: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new AliciaError(
      'CONFIG_INVALID',
      `${what} port ${port} on ${host} is already in use; choose another with ${flag} (0 = any free port)`,
    );
  if (code === 'EACCES')
    return new AliciaError('CONFIG_INVALID', `no permission to listen on ${host}:${port} (${what}); choose a port above 1023 with ${flag}`);
  if (code === 'EADDRNOTAVAIL')
    return new AliciaError('CONFIG_INVALID', `cannot listen on ${host}: not an address of this machine (--host)`);
  return e as Error;
}

/** Hard limit for a stop: SIGINT/SIGTERM stop everything within 5 s, so a service manager never has to kill the host. */
const STOP_DEADLINE_MS = 4500;

/**
 * `alicia serve`: start, print the URL, stop on SIGINT/SIGTERM. Resolves with the exit code.
 * 0 = stopped by a signal, 1 = could not start (message on stderr).
 */
export async function serve(argv: string[]): Promise<number> {
  let opts: ServeOptions | null;
  try {
    opts = parseServeArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`alicia serve: ${e.message}\n\n${SERVE_USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (!opts) {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }

  let host: RunningHost | undefined;
  let signalled: string | undefined;
  const onEarlySignal = (sig: string) => (signalled = sig);
  process.on('SIGINT', onEarlySignal);
  process.on('SIGTERM', onEarlySignal);
  try {
    host = await startHeadless(opts);
  } catch (e) {
    const msg = e instanceof AliciaError ? e.message : `${(e as Error).message}`;
    process.stderr.write(`alicia serve: cannot start: ${msg}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onEarlySignal);
    process.off('SIGTERM', onEarlySignal);
  }
  const running = host;
  return new Promise<number>((done) => {
    let exiting = false;
    const stop = (why: string, code: number) => {
      if (exiting) {
        // A second Ctrl+C: do not wait for the graceful path.
        killChildren(running);
        process.exit(code || 130);
      }
      exiting = true;
      process.stderr.write(`alicia serve: stopping (${why})\n`);
      const deadline = setTimeout(() => {
        process.stderr.write(`alicia serve: stop took longer than ${STOP_DEADLINE_MS} ms; killing the services\n`);
        killChildren(running);
        process.exit(code || 1);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      running.stop().then(
        () => {
          clearTimeout(deadline);
          done(code);
        },
        (e: unknown) => {
          process.stderr.write(`alicia serve: stop failed: ${String(e)}\n`);
          killChildren(running);
          done(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT', 0));
    process.on('SIGTERM', () => stop('SIGTERM', 0));
    process.on('uncaughtException', (e) => {
      process.stderr.write(`alicia serve: internal error: ${e.stack ?? e.message}\n`);
      stop('internal error', 1);
    });
    // stdout is the user's terminal: the login link goes there and to runtime.json, never to a log
    const on = running.core.brokerInfo.mode === 'external' ? 'your broker ' : '';
    process.stdout.write(
      `Alicia Control Center is running at ${running.info.http.url} (MQTT ${on}${running.info.mqtt.url}, data ${resolve(opts.dataDir)})\n`,
    );
    for (const url of running.http.lanLoginUrls) process.stdout.write(`From another device on your network: ${url}\n`);
    if (running.info.http.fingerprint256) {
      process.stdout.write(`TLS certificate (self-signed) SHA-256 fingerprint: ${running.info.http.fingerprint256}\n`);
    }
    if (signalled) stop(signalled, 0);
  });
}

function killChildren(host: RunningHost): void {
  for (const s of host.core.supervisor.status()) {
    if (s.pid !== null) {
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

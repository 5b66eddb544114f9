import { resolve } from 'node:path';
import { AliciaError } from '../../services/lib/protocol/errors.js';
import { prepareDataDir, UsageError } from './headless.js';
import { MOSQUITTO_DEFAULT_PORT, serveCommand, writeMosquittoConfig } from './external/mosquittoConfig.js';
import { defaultDataDir } from './paths.js';

export const BROKER_CONFIG_USAGE = `Usage: alicia broker-config mosquitto --out OUT [options]

Writes what a Mosquitto 2.0 needs to be Alicia's broker, for the principals in DIR/credentials.json
(created if missing): OUT/passwd (hashed, mode 0600), OUT/acl (the ACL table of docs/security.md)
and OUT/mosquitto.conf (a listener on 127.0.0.1, no anonymous access, persistent sessions). Then:

  mosquitto -c OUT/mosquitto.conf
  alicia serve --broker mqtt://127.0.0.1:PORT --data-dir DIR

Options:
  --data-dir DIR    data directory (default: $ALICIA_DATA_DIR, else ~/.alicia)
  --out OUT         where to write the three files (created, mode 0700)
  --port N          the listener's port (default ${MOSQUITTO_DEFAULT_PORT})
  --host ADDR       the listener's address (default 127.0.0.1)
  --ws-port N       also a WebSocket listener on that port, for the window to reach
                    directly (alicia serve --broker-ws ws://ADDR:N)
  -h, --help        show this help`;

interface BrokerConfigOptions {
  dataDir: string;
  outDir: string;
  port: number;
  host?: string;
  wsPort?: number;
}

/** A port number argument, 1-65535. */
function portArg(flag: string, v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`${flag} must be 1-65535, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Parse `broker-config` arguments. Returns null for --help. Throws UsageError. */
export function parseBrokerConfigArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BrokerConfigOptions | null {
  const [kind, ...rest] = argv;
  if (kind === '-h' || kind === '--help') return null;
  if (kind !== 'mosquitto')
    throw new UsageError(kind === undefined ? 'name the broker: mosquitto' : `unknown broker ${JSON.stringify(kind)} (known: mosquitto)`);
  let dataDir = defaultDataDir(env);
  let outDir: string | undefined;
  let port = MOSQUITTO_DEFAULT_PORT;
  let host: string | undefined;
  let wsPort: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === '-h' || flag === '--help') return null;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--data-dir':
        dataDir = resolve(value());
        break;
      case '--out':
        outDir = resolve(value());
        break;
      case '--port':
        port = portArg(flag, value());
        break;
      case '--ws-port':
        wsPort = portArg(flag, value());
        break;
      case '--host': {
        const v = value();
        if (!/^[A-Za-z0-9.:-]+$/.test(v)) throw new UsageError(`--host must be an address such as 127.0.0.1, got ${JSON.stringify(v)}`);
        host = v;
        break;
      }
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (!outDir) throw new UsageError('--out OUT is required');
  if (wsPort === port) throw new UsageError('--ws-port must differ from --port');
  return { dataDir, outDir, port, ...(host ? { host } : {}), ...(wsPort !== undefined ? { wsPort } : {}) };
}

/** `alicia broker-config`: 0 written, 1 failed, 2 usage error. */
export async function brokerConfig(argv: string[]): Promise<number> {
  let opts: BrokerConfigOptions | null;
  try {
    opts = parseBrokerConfigArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`alicia broker-config: ${e.message}\n\n${BROKER_CONFIG_USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (!opts) {
    process.stdout.write(BROKER_CONFIG_USAGE + '\n');
    return 0;
  }
  try {
    prepareDataDir(opts.dataDir);
    const r = await writeMosquittoConfig(opts);
    process.stdout.write(
      `Wrote ${r.files.passwd} (${r.principals.length} users, mode 0600), ${r.files.acl} and ${r.files.conf}.\n` +
        `Start it: mosquitto -c ${r.files.conf}\n` +
        `Then: ${serveCommand({ host: opts.host ?? '127.0.0.1', port: r.port, wsPort: opts.wsPort })} --data-dir ${opts.dataDir}\n`,
    );
    if (r.skippedDevices.length > 0) {
      process.stderr.write(
        `alicia broker-config: not written: the external device credentials ${r.skippedDevices.map((d) => `device:${d}`).join(', ')} (a Mosquitto user name cannot contain ":"; give devices users of your broker's own)\n`,
      );
    }
    return 0;
  } catch (e) {
    process.stderr.write(`alicia broker-config: ${e instanceof AliciaError ? e.message : (e as Error).message}\n`);
    return 1;
  }
}

import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { HOST_NODE, isNodeName } from '../../../services/lib/protocol/nodes.js';
import type { ServiceName } from '../../../services/lib/protocol/services.js';
import { brokerUrlProblem } from '../external/externalBroker.js';
import { UsageError } from '../headless.js';
import { defaultDataDir } from '../paths.js';
import { exportNodeCredentials, parseServiceList } from './nodeCredentials.js';
import { NODE_CREDENTIALS_FILE, startServiceNode, type RunningNode, type ServiceNodeOptions } from './serviceNode.js';

export const NODE_USAGE = `Usage: alicia node --broker URL --services stt,tts [options]

Runs some of Alicia's services on this machine, against the host's broker: the host's LAN listener
(mqtts://HOST:8883, config lan.enabled) or your own broker. Each service here and its instance on
the host split the requests between them (shared subscriptions); when one dies, the other answers.

Options:
  --broker URL       the broker (mqtt:// or mqtts://)
  --services LIST    the services to run here, comma-separated (e.g. stt,tts)
  --name NAME        this node's name (default: this machine's name, lower-cased)
  --data-dir DIR     data directory (default: $ALICIA_DATA_DIR, else ~/.alicia): logs, the services' data,
                     config.json (optional: the services' sections), and the credentials
  --credentials FILE the credentials exported on the host (default DIR/${NODE_CREDENTIALS_FILE})
  --ca FILE          with mqtts://: the CA of the broker's certificate (the host's: DIR/lan-cert.pem there)
  -h, --help         show this help

On the host first: alicia credentials export --services stt,tts --out ${NODE_CREDENTIALS_FILE}
then copy that file (and lan-cert.pem for --ca) to this machine's data directory.`;

export const CREDENTIALS_USAGE = `Usage: alicia credentials export --services LIST --out FILE [--data-dir DIR]

Writes the credentials a service node needs (alicia node): its supervisor's (principal "node") and
those of the services named, nothing else, from DIR/credentials.json (mode 0600).`;

/** A machine name made a node name: lower case, anything else a dash, at most 40 characters. */
function defaultNodeName(): string {
  const n = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 40);
  return isNodeName(n) && n !== HOST_NODE ? n : 'node';
}

interface Flags {
  values: Map<string, string>;
  help: boolean;
}

function readFlags(argv: string[], known: readonly string[]): Flags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { values, help: true };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag))
      throw new UsageError(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument ${JSON.stringify(arg)}`);
    let v: string | undefined;
    if (arg.startsWith('--') && eq > 0) v = arg.slice(eq + 1);
    else v = argv[++i];
    if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    values.set(flag, v);
  }
  return { values, help: false };
}

function services(v: string | undefined): ServiceName[] {
  if (v === undefined) throw new UsageError('--services LIST is required (e.g. --services stt,tts)');
  try {
    return parseServiceList(v);
  } catch (e) {
    throw new UsageError(`--services: ${(e as Error).message}`);
  }
}

/** Parse `node` flags. Returns null for --help. Throws UsageError. */
export function parseNodeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServiceNodeOptions | null {
  const f = readFlags(argv, ['--broker', '--services', '--name', '--data-dir', '--credentials', '--ca']);
  if (f.help) return null;
  const broker = f.values.get('--broker');
  if (broker === undefined) throw new UsageError('--broker URL is required');
  const problem = brokerUrlProblem(broker);
  if (problem) throw new UsageError(`--broker ${problem}`);
  const name = f.values.get('--name') ?? defaultNodeName();
  if (!isNodeName(name) || name === HOST_NODE)
    throw new UsageError(`--name must be lower-case letters, digits, - or _ (at most 40), not "${HOST_NODE}"; got ${JSON.stringify(name)}`);
  const dataDir = resolve(f.values.get('--data-dir') ?? defaultDataDir(env));
  const credentials = f.values.get('--credentials');
  const ca = f.values.get('--ca');
  return {
    brokerUrl: broker,
    dataDir,
    name,
    services: services(f.values.get('--services')),
    ...(credentials ? { credentialsFile: resolve(credentials) } : {}),
    ...(ca ? { caFile: resolve(ca) } : {}),
  };
}

/** Run a usage-checked command: 2 and the usage for a UsageError, 1 and one line for an AliciaError. */
async function guarded(name: string, usage: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`alicia ${name}: ${e.message}\n\n${usage}\n`);
      return 2;
    }
    if (e instanceof AliciaError) {
      process.stderr.write(`alicia ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** `alicia credentials export`: 0 written, 1 failed, 2 usage error. */
export function credentialsCommand(argv: string[]): Promise<number> {
  return guarded('credentials', CREDENTIALS_USAGE, async () => {
    const [sub, ...rest] = argv;
    if (sub === '-h' || sub === '--help') {
      process.stdout.write(`${CREDENTIALS_USAGE}\n`);
      return 0;
    }
    if (sub !== 'export')
      throw new UsageError(sub === undefined ? 'missing subcommand: export' : `unknown subcommand ${JSON.stringify(sub)}`);
    const f = readFlags(rest, ['--services', '--out', '--data-dir']);
    if (f.help) {
      process.stdout.write(`${CREDENTIALS_USAGE}\n`);
      return 0;
    }
    const out = f.values.get('--out');
    if (!out) throw new UsageError('--out FILE is required');
    const dataDir = resolve(f.values.get('--data-dir') ?? defaultDataDir(process.env));
    const written = await exportNodeCredentials(dataDir, services(f.values.get('--services')), resolve(out));
    process.stdout.write(`wrote ${resolve(out)} (mode 0600) with the credentials of ${written.join(', ')}\n`);
    return 0;
  });
}

/** `alicia node`: runs until SIGINT/SIGTERM. 0 stopped by a signal, 1 could not start, 2 usage error. */
export function nodeCommand(argv: string[]): Promise<number> {
  return guarded('node', NODE_USAGE, async () => {
    const opts = parseNodeArgs(argv);
    if (!opts) {
      process.stdout.write(`${NODE_USAGE}\n`);
      return 0;
    }
    let signalled: string | null = null;
    const early = (sig: string) => () => (signalled = sig);
    const onInt = early('SIGINT');
    const onTerm = early('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    let node: RunningNode;
    try {
      node = await startServiceNode(opts);
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    const running = node;
    return new Promise<number>((done) => {
      const stop = (why: string) => {
        process.stderr.write(`alicia node: stopping (${why})\n`);
        running.stop().then(
          () => done(0),
          () => done(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      const states = Object.entries(running.settled)
        .map(([s, st]) => `${s} ${st}`)
        .join(', ');
      process.stdout.write(`Alicia node ${opts.name} is running (${states}) on ${opts.brokerUrl}, data ${join(opts.dataDir)}\n`);
      if (signalled) stop(signalled);
    });
  });
}

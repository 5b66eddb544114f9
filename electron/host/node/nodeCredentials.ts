import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { isServiceName, type ServiceName } from '../../../services/lib/protocol/services.js';
import { Credentials } from '../broker/credentials.js';
import type { Credential } from '../broker/types.js';

/** What `alicia credentials export` writes and `alicia node` reads. */
interface NodeCredentialsFile {
  version: 1;
  /** `node` (the node's supervisor) and each exported service */
  credentials: Record<string, Credential>;
}

/**
 * Write the credentials a service node needs, and only those: the `node` principal's (its supervisor)
 * and each named service's, from the host's DIR/credentials.json (created if missing). Mode 0600,
 * written atomically. A node given stt and tts cannot speak as the device-manager or the operator.
 */
export async function exportNodeCredentials(dataDir: string, services: readonly ServiceName[], outFile: string): Promise<string[]> {
  const store = await Credentials.loadOrCreate(dataDir);
  const principals = ['node', ...services] as const;
  const file: NodeCredentialsFile = { version: 1, credentials: {} };
  for (const p of principals) file.credentials[p] = store.get(p);
  const tmp = `${outFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, outFile);
  return [...principals];
}

/** The node's credentials, read from an exported file; CONFIG_INVALID naming the file and what is missing. */
export function readNodeCredentials(
  file: string,
  services: readonly ServiceName[],
): { node: Credential; services: Map<ServiceName, Credential> } {
  const bad = (why: string) =>
    new AliciaError('CONFIG_INVALID', `node credentials ${file}: ${why} (make it on the host: alicia credentials export --services ...)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad((e as NodeJS.ErrnoException).code ?? 'not JSON');
  }
  const creds = (data as Partial<NodeCredentialsFile> | null)?.credentials;
  if (!creds || typeof creds !== 'object') throw bad('no "credentials" object');
  const get = (p: string): Credential => {
    const c = creds[p];
    if (!c || typeof c.username !== 'string' || typeof c.password !== 'string') throw bad(`no credential for ${p}`);
    return { username: c.username, password: c.password };
  };
  const out = new Map<ServiceName, Credential>();
  for (const s of services) out.set(s, get(s));
  return { node: get('node'), services: out };
}

/** A comma-separated service list (`stt,tts`), each a known service, none twice. */
export function parseServiceList(v: string): ServiceName[] {
  const names = v.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !isServiceName(n));
  if (names.length === 0 || unknown.length > 0) throw new RangeError(`unknown service ${JSON.stringify(unknown[0] ?? v)}`);
  if (new Set(names).size !== names.length) throw new RangeError('a service is named twice');
  return names as ServiceName[];
}

import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import {
  HOST_PARTS,
  BRIDGE_ACL,
  HOST_PART_ACL,
  NODE_ACL,
  SERVICE_NAMES,
  SHARED_WINDOW,
  aclFor,
  type AclEntry,
  type StoredPrincipal,
} from '../../../services/lib/protocol/services.js';
import { TOPICS, type TopicPattern } from '../../../services/lib/protocol/topics.js';
import { EXTERNAL, canPublish, canSubscribe } from '../broker/acl.js';
import { Credentials } from '../broker/credentials.js';
import { mosquittoPasswdLine } from './mosquittoPasswd.js';

/**
 * `alicia broker-config mosquitto`: the password file, acl_file and mosquitto.conf that make a
 * Mosquitto 2.0 enforce docs/security.md's table (services/lib/protocol/services.ts) for every
 * principal in credentials.json.
 *
 * What Mosquitto's acl_file cannot say (docs/security.md, "On your own broker"):
 *  - "everything except": it has allow rules and a `deny` that wins over every allow of the same
 *    user for reading and writing alike (mosquitto 2.0 src/security_default.c puts denials first).
 *    So the host-only records (alicia/system/host, .../window/sessions) stay writable for
 *    `operator` and `window-shared`, who must read them: the host's window proxy refuses them for
 *    every window, and the host puts its own record back when anyone else's appears
 *    (hostRecordGuard.ts).
 *  - EXTERNAL ("any topic outside alicia/, homeassistant/ and $"): granted as `readwrite #` with a
 *    `deny` for every declared alicia/ topic the principal may neither read nor write. What stays
 *    wider than the table: both directions on topics it has one of (e.g. it may publish
 *    alicia/device/command, which only it reads), homeassistant/ writable, and undeclared alicia/ topics.
 *  - A SUBSCRIBE is never refused: Mosquitto 2.0 grants every filter and checks each message
 *    against the read rules when it delivers it, so the filter is wider but what arrives is not.
 *  - Per-device credentials (`device:<name>`): a Mosquitto user name cannot contain ":"; devices on
 *    the user's own broker have that broker's own users.
 */

/** The port mosquitto.conf listens on unless told otherwise (Mosquitto's own default). */
export const MOSQUITTO_DEFAULT_PORT = 1883;

/** The user rows of the table, by principal: services, the host's parts, the bridge, and the two "everything" roles. */
function rowsOf(p: StoredPrincipal): AclEntry | 'everything' {
  if (p === 'operator' || p === SHARED_WINDOW) return 'everything';
  if ((HOST_PARTS as readonly string[]).includes(p)) return HOST_PART_ACL[p as (typeof HOST_PARTS)[number]];
  if (p === 'bridge') return BRIDGE_ACL;
  if (p === 'node') return NODE_ACL;
  return aclFor(p as (typeof SERVICE_NAMES)[number]);
}

/** A `+` family's members that name a principal (heartbeats, configs, service states, logs). */
const NAMED_MEMBERS: readonly string[] = [...SERVICE_NAMES, ...HOST_PARTS];

/**
 * The `deny` lines that narrow `readwrite #` (EXTERNAL) back to the table inside alicia/: every
 * declared topic (or a `+` family's named member) the principal may neither publish nor subscribe,
 * decided by the embedded broker's own rules (acl.ts).
 */
function externalDenials(p: StoredPrincipal): string[] {
  const out: string[] = [];
  const none = (topic: string) => !canPublish(p, topic) && !canSubscribe(p, topic);
  for (const pattern of Object.keys(TOPICS) as TopicPattern[]) {
    if (!pattern.startsWith('alicia/')) continue;
    if (!pattern.includes('+')) {
      if (none(pattern)) out.push(pattern);
      continue;
    }
    const members = NAMED_MEMBERS.map((n) => pattern.replaceAll('+', n));
    if (!canSubscribe(p, pattern) && members.every(none) && none(pattern.replaceAll('+', 'x'))) out.push(pattern);
    else if (!canSubscribe(p, pattern)) out.push(...members.filter(none));
  }
  return out;
}

/** One principal's block: `user NAME` then its `topic` lines (read, write or both per filter). */
function userBlock(p: StoredPrincipal): string[] {
  const lines = [`user ${p}`];
  const rows = rowsOf(p);
  if (rows === 'everything') {
    lines.push('topic readwrite #', 'topic read $SYS/#');
    return lines;
  }
  const access = new Map<string, { read: boolean; write: boolean }>();
  const grant = (filter: string, how: 'read' | 'write') => {
    const a = access.get(filter) ?? { read: false, write: false };
    a[how] = true;
    access.set(filter, a);
  };
  for (const f of rows.publish) grant(f === EXTERNAL ? '#' : f, 'write');
  for (const f of rows.subscribe) grant(f === EXTERNAL ? '#' : f, 'read');
  for (const [filter, a] of access) lines.push(`topic ${a.read && a.write ? 'readwrite' : a.read ? 'read' : 'write'} ${filter}`);
  if (rows.publish.includes(EXTERNAL) || rows.subscribe.includes(EXTERNAL)) {
    for (const d of externalDenials(p)) lines.push(`topic deny ${d}`);
  }
  return lines;
}

/** Mosquitto acl_file text for these principals (docs/security.md's table). */
export function renderMosquittoAcl(principals: readonly StoredPrincipal[]): string {
  const blocks = principals.map((p) => userBlock(p).join('\n'));
  return [
    '# Generated by `alicia broker-config mosquitto` from the ACL table in docs/security.md',
    '# (services/lib/protocol/services.ts). Regenerate it rather than editing it. What Mosquitto',
    '# cannot express of that table is listed in docs/security.md, "On your own broker".',
    '',
    blocks.join('\n\n'),
    '',
  ].join('\n');
}

export interface MosquittoConfOptions {
  /** absolute directory of passwd, acl and the persistence file */
  outDir: string;
  port: number;
  /** listen address (default 127.0.0.1: nothing beyond this machine) */
  host?: string;
  /** a second listener speaking MQTT over WebSocket, for the window (`alicia serve --broker-ws`) */
  wsPort?: number;
}

/** mosquitto.conf for a private Alicia broker: one listener, no anonymous access, the two files, persistent sessions. */
export function renderMosquittoConf(o: MosquittoConfOptions): string {
  const dir = resolve(o.outDir);
  // Started as root, Mosquitto 2.0 switches to the user named here (default "mosquitto"), which
  // could not read the 0600 password file written by this user: run it as whoever wrote them.
  const user = userInfo().username;
  const host = o.host ?? '127.0.0.1';
  return [
    '# Generated by `alicia broker-config mosquitto`. Start it with: mosquitto -c ' + join(dir, 'mosquitto.conf'),
    '# then: ' + serveCommand({ host, port: o.port, wsPort: o.wsPort }),
    '',
    `listener ${o.port} ${host}`,
    'allow_anonymous false',
    `password_file ${join(dir, 'passwd')}`,
    `acl_file ${join(dir, 'acl')}`,
    '',
    '# Persistent sessions (the services connect with clean session off) and their queued QoS 1',
    '# messages survive a broker restart: saved at every clean stop and every 30 s.',
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 30',
    '# A part that is away (a restarting service, the recorder during a host restart) gets what it',
    '# missed when it is back; past this many queued messages per client Mosquitto drops them (and',
    '# counts them in $SYS/broker/publish/messages/dropped, which the recorder reports as a gap).',
    'max_queued_messages 100000',
    'sys_interval 10',
    '# Small request/answer messages: without it Nagle and delayed ACKs add tens of ms per hop.',
    'set_tcp_nodelay true',
    `user ${user}`,
    ...(o.wsPort === undefined
      ? []
      : [
          '',
          "# The window's own listener (alicia serve --broker-ws). Without per_listener_settings the password",
          '# file and the ACL above apply to it too. Mosquitto 2.0.11 with libwebsockets binds a websockets',
          '# listener on every address whatever address is given here: keep this port behind a firewall.',
          `listener ${o.wsPort} ${host}`,
          'protocol websockets',
        ]),
    '',
  ].join('\n');
}

/** The `alicia serve` line that uses the listeners mosquitto.conf opens. */
export function serveCommand(o: { host: string; port: number; wsPort?: number | undefined }): string {
  const ws = o.wsPort === undefined ? '' : ` --broker-ws ws://${o.host}:${o.wsPort}`;
  return `alicia serve --broker mqtt://${o.host}:${o.port}${ws}`;
}

export interface BrokerConfigResult {
  files: { passwd: string; acl: string; conf: string };
  /** principals in credentials.json */
  principals: StoredPrincipal[];
  /** external devices with a credential, which Mosquitto cannot take under their name (`device:<name>`) */
  skippedDevices: string[];
  port: number;
}

/** Write OUT/passwd (0600), OUT/acl and OUT/mosquitto.conf for the principals in DIR/credentials.json (created if missing). */
export async function writeMosquittoConfig(o: {
  dataDir: string;
  outDir: string;
  port?: number;
  host?: string;
  wsPort?: number;
}): Promise<BrokerConfigResult> {
  const outDir = resolve(o.outDir);
  const credentials = await Credentials.loadOrCreate(resolve(o.dataDir));
  const all = credentials.all();
  const principals = Object.keys(all) as StoredPrincipal[];
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const port = o.port ?? MOSQUITTO_DEFAULT_PORT;
  const files = { passwd: join(outDir, 'passwd'), acl: join(outDir, 'acl'), conf: join(outDir, 'mosquitto.conf') };
  const passwd = principals.map((p) => mosquittoPasswdLine(all[p].username, all[p].password)).join('\n') + '\n';
  await writeAtomic(files.passwd, passwd, 0o600);
  await writeAtomic(files.acl, renderMosquittoAcl(principals), 0o644);
  await writeAtomic(
    files.conf,
    renderMosquittoConf({ outDir, port, ...(o.host ? { host: o.host } : {}), ...(o.wsPort !== undefined ? { wsPort: o.wsPort } : {}) }),
    0o644,
  );
  return { files, principals, skippedDevices: credentials.devices(), port };
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

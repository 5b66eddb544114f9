import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ACL_TABLE_BEGIN, ACL_TABLE_END } from '../../../electron/host/broker/aclTable.js';
import type { AnyPrincipal } from '../../../services/lib/protocol/services.js';
import { TOPICS, topicMatches, type TopicPattern } from '../../../services/lib/protocol/topics.js';

/**
 * The ACL table as a reader of docs/security.md sees it, and the topics and filters the ACL
 * matrices probe with it (aclMatrix.test.ts: the embedded broker; aclMatrix.mosquitto.test.ts:
 * Mosquitto configured by `alicia broker-config`).
 */

export const ROOT = join(import.meta.dirname, '..', '..', '..');
/** An external device with its own credential (docs/security.md "Who connects"), issued through Credentials.addDevice. */
export const DEVICE = 'lamp1';

interface DocRow {
  publish: string[];
  subscribe: string[];
}

/** The ACL table exactly as a reader of docs/security.md sees it. */
/** Topics an "everything" row names as exceptions (`everything except \`$SYS/...\` and \`x\``). */
const EVERYTHING_EXCEPT = new Map<string, string[]>();

export function parseDocTable(): Map<string, DocRow | 'everything'> {
  const doc = readFileSync(join(ROOT, 'docs', 'security.md'), 'utf8');
  const a = doc.indexOf(ACL_TABLE_BEGIN);
  const b = doc.indexOf(ACL_TABLE_END);
  if (a < 0 || b < a) throw new Error('docs/security.md has no generated ACL table');
  const rows = new Map<string, DocRow | 'everything'>();
  for (const line of doc.slice(a + ACL_TABLE_BEGIN.length, b).split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|(.*)\|\s*$/.exec(line.trim());
    if (!m) continue;
    const [, who, pub, sub] = m as unknown as [string, string, string, string];
    if (pub.includes('everything')) {
      rows.set(who, 'everything');
      EVERYTHING_EXCEPT.set(
        who,
        [...pub.matchAll(/`([^`]+)`/g)].map((x) => x[1]!),
      );
      continue;
    }
    const cell = (c: string) =>
      c
        .split('<br>')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (s === '*EXTERNAL*' ? 'EXTERNAL' : s.replaceAll('`', '')));
    rows.set(who, { publish: cell(pub), subscribe: cell(sub) });
  }
  return rows;
}

export const DOC = parseDocTable();

/** EXTERNAL in the doc: any topic outside alicia/, homeassistant/ and $-topics. */
export function externalTopic(topic: string): boolean {
  const root = topic.split('/')[0]!;
  return !topic.startsWith('$') && root !== 'alicia' && root !== 'homeassistant';
}

export function docAllows(principal: AnyPrincipal, kind: 'publish' | 'subscribe', filterOrTopic: string): boolean {
  // the doc has one `device:<name>` row for every device
  const isDevice = principal.startsWith('device:');
  const row = DOC.get(isDevice ? 'device:<name>' : principal);
  if (row === undefined) throw new Error(`docs/security.md has no row for ${principal}`);
  if (row === 'everything') {
    if (kind === 'subscribe') return true;
    const except = EVERYTHING_EXCEPT.get(principal) ?? [];
    if (except.includes('$SYS/...') && filterOrTopic.startsWith('$')) return false;
    return !except.includes(filterOrTopic);
  }
  const pats = isDevice ? row[kind].map((p) => p.replaceAll('<name>', principal.slice(7))) : row[kind];
  if (!filterOrTopic.includes('+') && !filterOrTopic.includes('#')) {
    return pats.some((p) => (p === 'EXTERNAL' ? externalTopic(filterOrTopic) : topicMatches(p, filterOrTopic)));
  }
  // A wildcard filter is allowed when a listed pattern covers it; the filters probed below are
  // either listed verbatim or cover topics outside every list (#, alicia/#, $SYS/#).
  // EXTERNAL covers a filter under a literal external root (`lamp1/#`), never a wildcard root.
  const root = filterOrTopic.split('/')[0]!;
  return pats.some(
    (p) =>
      p === filterOrTopic ||
      (p.endsWith('/#') && filterOrTopic.startsWith(p.slice(0, -1))) ||
      (p === 'EXTERNAL' && root !== '+' && root !== '#' && externalTopic(filterOrTopic)),
  );
}

/** One concrete topic per family; `+` families get two: an own-name value and someone else's. */
export function concreteTopics(): { family: string; topic: string }[] {
  const out: { family: string; topic: string }[] = [];
  for (const p of Object.keys(TOPICS) as TopicPattern[]) {
    if (!p.includes('+')) {
      out.push({ family: p, topic: p });
      continue;
    }
    // heartbeat/status/config/services/logs take a service name; device status a device id
    const values = p.startsWith('alicia/device/') ? ['kitchen_light'] : ['device-manager', 'stt'];
    for (const v of values) out.push({ family: p, topic: p.replaceAll('+', v) });
  }
  out.push({ family: 'homeassistant/#', topic: 'homeassistant/light/lamp/config' });
  out.push({ family: 'EXTERNAL', topic: 'zigbee2mqtt/lamp/set' });
  // an external device's own tree and discovery configs, and another device's
  out.push({ family: 'device own', topic: `${DEVICE}/stat/POWER` });
  out.push({ family: 'device own', topic: DEVICE });
  out.push({ family: 'other device', topic: 'lamp2/cmnd/POWER' });
  out.push({ family: 'device discovery', topic: `homeassistant/light/${DEVICE}/config` });
  out.push({ family: 'device discovery', topic: `homeassistant/sensor/${DEVICE}/temperature/config` });
  out.push({ family: 'other device discovery', topic: 'homeassistant/light/lamp2/config' });
  out.push({ family: 'HA birth', topic: 'homeassistant/status' });
  out.push({ family: '$SYS/#', topic: '$SYS/alicia/broker/stats' });
  return out;
}

/** Wildcard filters: every '+' family as declared, plus the broad ones nobody but operator/window gets. */
export function wildcardFilters(): string[] {
  const out = Object.keys(TOPICS).filter((p) => p.includes('+'));
  out.push('homeassistant/#', '#', 'alicia/#', '$SYS/#', `${DEVICE}/#`, 'lamp2/#', '+/cmnd/POWER');
  return out;
}

/** SUBACK return code of one filter (0/1 granted, 128 refused), one SUBSCRIBE packet per filter. */
export async function subackCode(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]!.qos;
  } catch (e) {
    // mqtt.js 5 rejects when a grant has bit 0x80 set (handlers/ack.js), with the SUBACK attached;
    // its callback's `granted` holds the *requested* QoS, so the packet is the only truth.
    const codes = (e as { packet?: { granted?: number[] } }).packet?.granted;
    if (codes?.length === 1) return codes[0]!;
    throw e;
  }
}

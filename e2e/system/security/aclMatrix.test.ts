import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { startTestBroker, type TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { ACL_TABLE_BEGIN, ACL_TABLE_END } from '../../../electron/host/broker/aclTable.js';
import { parseHaConfig } from '../../../services/device-manager/haConfig.js';
import {
  BRIDGE_ACL,
  PRINCIPALS,
  SERVICE_NAMES,
  aclFor,
  deviceAclFor,
  type AnyPrincipal,
  type Principal,
} from '../../../services/lib/protocol/services.js';
import { TOPICS, topicMatches, type TopicPattern } from '../../../services/lib/protocol/topics.js';

/**
 * The full ACL matrix (docs/security.md "ACL table"), checked against the real broker with real mqtt.js clients:
 * every principal (each service, operator, window, an external device `device:lamp1`) x every
 * topic family of services/lib/protocol (+ Home Assistant discovery, EXTERNAL device topics of lamp1
 * and of another device, $SYS) x publish and subscribe.
 *
 * The expected outcome is derived from the table as rendered in docs/security.md (parsed here,
 * independently of the broker's acl.ts), so the doc, the protocol table and the broker must agree.
 * Publish: an operator subscribed to '#' and '$SYS/#' sees the message or not.
 * Subscribe: SUBACK grants the filter or answers 0x80.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** An external device with its own credential (docs/security.md "Who connects"), issued through Credentials.addDevice. */
const DEVICE = 'lamp1';
const ALL_PRINCIPALS: AnyPrincipal[] = [...SERVICE_NAMES, ...PRINCIPALS, `device:${DEVICE}`];

interface DocRow {
  publish: string[];
  subscribe: string[];
}

/** The ACL table exactly as a reader of docs/security.md sees it. */
/** Topics an "everything" row names as exceptions (`everything except \`$SYS/...\` and \`x\``). */
const EVERYTHING_EXCEPT = new Map<string, string[]>();

function parseDocTable(): Map<string, DocRow | 'everything'> {
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

const DOC = parseDocTable();

/** EXTERNAL in the doc: any topic outside alicia/, homeassistant/ and $-topics. */
function externalTopic(topic: string): boolean {
  const root = topic.split('/')[0]!;
  return !topic.startsWith('$') && root !== 'alicia' && root !== 'homeassistant';
}

function docAllows(principal: AnyPrincipal, kind: 'publish' | 'subscribe', filterOrTopic: string): boolean {
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
function concreteTopics(): { family: string; topic: string }[] {
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
function wildcardFilters(): string[] {
  const out = Object.keys(TOPICS).filter((p) => p.includes('+'));
  out.push('homeassistant/#', '#', 'alicia/#', '$SYS/#', `${DEVICE}/#`, 'lamp2/#', '+/cmnd/POWER');
  return out;
}

let tb: TestBroker;
let watcher: MqttClient;
let deviceCredential: { username: string; password: string };
const seen = new Set<string>();
const clients: MqttClient[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
  deviceCredential = await tb.broker.credentials.addDevice(DEVICE);
  watcher = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'acl-watcher' });
  watcher.on('message', (_t, payload) => seen.add(payload.toString()));
  await watcher.subscribeAsync(['#', '$SYS/#'], { qos: 1 });
});

afterAll(async () => {
  await Promise.all([watcher, ...clients].map((c) => c?.endAsync(true).catch(() => undefined)));
  await tb?.stop();
});

async function connectAs(p: AnyPrincipal): Promise<MqttClient> {
  // the window talks MQTT over WebSocket, everybody else over TCP
  const url = p === 'window' ? tb.wsUrl : tb.url;
  const cred = p.startsWith('device:')
    ? { username: deviceCredential.username, password: deviceCredential.password }
    : tb.credentials[p as Principal];
  const c = await connectClient(url, { ...cred, clientId: `acl-${p.replace(':', '-')}` });
  clients.push(c);
  return c;
}

/** SUBACK return code of one filter (0/1 granted, 128 refused), one SUBSCRIBE packet per filter. */
async function subackCode(c: MqttClient, filter: string): Promise<number> {
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

describe('ACL matrix (docs/security.md vs the real broker)', () => {
  it('docs/security.md lists exactly what services/lib/protocol aclFor() says', () => {
    for (const s of SERVICE_NAMES) {
      const row = DOC.get(s);
      expect(row, s).not.toBe('everything');
      expect(row).toEqual({ publish: [...aclFor(s).publish], subscribe: [...aclFor(s).subscribe] });
    }
    expect(DOC.get('operator')).toBe('everything');
    expect(DOC.get('window')).toBe('everything');
    expect(DOC.get('bridge')).toEqual({ publish: [...BRIDGE_ACL.publish], subscribe: [...BRIDGE_ACL.subscribe] });
    const dev = deviceAclFor('<name>');
    expect(DOC.get('device:<name>')).toEqual({ publish: [...dev.publish], subscribe: [...dev.subscribe] });
  });

  it('every principal x every topic family x publish/subscribe behaves as documented', async () => {
    const topics = concreteTopics();
    const filters = [...topics.map((t) => t.topic), ...wildcardFilters()];
    const mismatches: string[] = [];
    const summary: string[] = [];
    let checks = 0;
    let allowedCount = 0;
    let deniedPub = 0;
    let deniedSub = 0;
    // the broker's counters before this test (another test of this file may have run first)
    const statsBefore = tb.broker.stats();
    const loggedBefore = tb.logs.length;

    for (const p of ALL_PRINCIPALS) {
      const c = await connectAs(p);
      let pubOk = 0;
      let subOk = 0;
      // --- publish: each topic with a unique marker payload, QoS 1 (PUBACK also for dropped ones)
      // JSON object markers: a device's discovery-config publishes are also checked for content
      // (a config naming no topics is fine), so the marker must be a JSON object
      const markers = topics.map(({ topic }, i) => ({ topic, marker: JSON.stringify({ acl: `${p}:${i}:${topic}` }) }));
      for (const { topic, marker } of markers) await c.publishAsync(topic, marker, { qos: 1 });
      // A sentinel on a topic this principal may publish, sent after all others on the same
      // connection: when the watcher has it, every allowed publish before it has arrived too
      // (MQTT 3.1.1 §4.6 ordering), so "not seen" means dropped, not "late".
      const sentinelTopic =
        p === 'operator' || p === 'window'
          ? 'alicia/broadcast/sentinel'
          : p.startsWith('device:')
            ? `${p.slice(7)}/sentinel`
            : p === 'bridge'
              ? 'alicia/system/bridge/sentinel'
              : `alicia/health/heartbeat/${p}`;
      const sentinel = `acl:${p}:sentinel`;
      await c.publishAsync(sentinelTopic, sentinel, { qos: 1 });
      await waitFor(() => seen.has(sentinel), `${p}'s sentinel`);
      for (const { topic, marker } of markers) {
        const expected = docAllows(p, 'publish', topic);
        const actual = seen.has(marker);
        checks++;
        if (actual) pubOk++;
        if (expected !== actual)
          mismatches.push(`${p} publish ${topic}: expected ${expected ? 'delivered' : 'dropped'}, got ${actual ? 'delivered' : 'dropped'}`);
      }
      // --- subscribe: concrete topics as filters, then wildcard filters
      for (const f of filters) {
        const code = await subackCode(c, f);
        const expected = docAllows(p, 'subscribe', f);
        const actual = code !== 128;
        checks++;
        if (actual) subOk++;
        if (expected !== actual) mismatches.push(`${p} subscribe ${f}: expected ${expected ? 'granted' : '0x80'}, got SUBACK ${code}`);
      }
      // denials never cost the connection (publish: ack + drop; subscribe: 0x80)
      expect(c.connected, `${p} still connected`).toBe(true);
      allowedCount += pubOk + subOk;
      deniedPub += markers.length - pubOk;
      deniedSub += filters.length - subOk;
      summary.push(
        `${p.padEnd(15)} publish ${String(pubOk).padStart(2)}/${topics.length} allowed   subscribe ${String(subOk).padStart(2)}/${filters.length} granted`,
      );
      await c.endAsync();
    }
    process.stdout.write(
      `ACL matrix: ${ALL_PRINCIPALS.length} principals x ${topics.length} topics (publish) + ${filters.length} filters (subscribe) = ${checks} checks, ${allowedCount} allowed, ${checks - allowedCount} denied, ${mismatches.length} mismatches\n${summary.join('\n')}\n`,
    );
    expect(mismatches).toEqual([]);
    // the matrix is not trivially all-allowed or all-denied
    expect(allowedCount).toBeGreaterThan(ALL_PRINCIPALS.length);
    expect(checks - allowedCount).toBeGreaterThan(ALL_PRINCIPALS.length);
    // every denial was counted by the broker (and logged, rate-limited per connection)
    const stats = tb.broker.stats();
    expect(stats.denied_publish - statsBefore.denied_publish).toBe(deniedPub);
    expect(stats.denied_subscribe - statsBefore.denied_subscribe).toBe(deniedSub);
    expect(tb.logs.slice(loggedBefore).filter((l) => l.msg === 'publish denied (dropped)').length).toBeGreaterThan(0);
  });

  it('an external device cannot steer the device manager outside its own topics through its discovery config', async () => {
    const c = await connectAs(`device:${DEVICE}`);
    const configTopic = `homeassistant/light/${DEVICE}/config`;
    // a config naming alicia/ or another device's prefix: the broker drops it (it alone knows who
    // published it); the alicia/ one is also refused by the device manager's parser, which
    // cannot tell the publisher and so can only refuse alicia/ and $ topics itself
    const hostile = [
      { name: 'Lamp', unique_id: 'lamp1_a', cmd_t: 'alicia/device/command', stat_t: `${DEVICE}/stat/POWER` },
      { name: 'Lamp', unique_id: 'lamp1_b', '~': 'lamp2', cmd_t: '~/cmnd/POWER', stat_t: '~/stat/POWER' },
      { name: 'Lamp', unique_id: 'lamp1_c', cmd_t: `${DEVICE}/cmnd/POWER`, avty_t: 'zigbee2mqtt/bridge/state' },
    ];
    const own = { name: 'Lamp', unique_id: 'lamp1_ok', '~': DEVICE, cmd_t: '~/cmnd/POWER', stat_t: '~/stat/POWER', avty_t: '~/tele/LWT' };
    const before = tb.broker.stats().denied_publish;
    const loggedBefore = tb.logs.length;
    for (const h of hostile) await c.publishAsync(configTopic, JSON.stringify(h), { qos: 1 });
    await c.publishAsync(configTopic, JSON.stringify(own), { qos: 1 });
    await waitFor(() => seen.has(JSON.stringify(own)), 'own discovery config');
    for (const h of hostile) expect(seen.has(JSON.stringify(h)), JSON.stringify(h)).toBe(false);
    expect(tb.broker.stats().denied_publish - before).toBe(hostile.length);
    expect(c.connected).toBe(true);
    const reasons = tb.logs
      .slice(loggedBefore)
      .filter((l) => l.msg === 'publish denied (dropped)' && l.fields?.principal === `device:${DEVICE}`)
      .map((l) => String(l.fields?.reason));
    expect(reasons.filter((r) => r.includes(`outside ${DEVICE}/`)).length).toBe(hostile.length);

    // the device manager's HA parser: accepts the own config, refuses the alicia/ one
    expect(parseHaConfig(configTopic, own).ok).toBe(true);
    const parsed = parseHaConfig(configTopic, hostile[0]!);
    expect(parsed.ok).toBe(false);
    await c.endAsync();
  });

  it('a removed device credential no longer connects', async () => {
    // a device of its own: the other tests keep using lamp1's credential
    const cred = await tb.broker.credentials.addDevice('lamp9');
    const before = await connectClient(tb.url, { username: cred.username, password: cred.password, clientId: 'acl-lamp9' });
    await before.endAsync();
    await tb.broker.credentials.removeDevice('lamp9');
    await expect(
      connectClient(tb.url, {
        username: cred.username,
        password: cred.password,
        clientId: 'acl-removed',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../../electron/broker/testing/mqttClient.js';
import { startTestBroker, type TestBroker } from '../../electron/broker/testing/testBroker.js';
import { ACL_TABLE_BEGIN, ACL_TABLE_END } from '../../electron/broker/aclTable.js';
import { PRINCIPALS, SERVICE_NAMES, aclFor, type Principal, type ServiceName } from '../../services/protocol/services.js';
import { TOPICS, topicMatches, type TopicPattern } from '../../services/protocol/topics.js';

/**
 * The full ACL matrix of issue 7, checked against the real broker with real mqtt.js clients:
 * every principal (each service, operator, window) x every topic family of services/protocol
 * (+ Home Assistant discovery, an EXTERNAL device topic, $SYS) x publish and subscribe.
 *
 * The expected outcome is derived from the table as rendered in docs/security.md (parsed here,
 * independently of the broker's acl.ts), so the doc, the protocol table and the broker must agree.
 * Publish: an operator subscribed to '#' and '$SYS/#' sees the message or not.
 * Subscribe: SUBACK grants the filter or answers 0x80.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const ALL_PRINCIPALS: Principal[] = [...SERVICE_NAMES, ...PRINCIPALS];

interface DocRow {
  publish: string[];
  subscribe: string[];
}

/** The ACL table exactly as a reader of docs/security.md sees it. */
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

function docAllows(principal: Principal, kind: 'publish' | 'subscribe', filterOrTopic: string): boolean {
  const row = DOC.get(principal);
  if (row === undefined) throw new Error(`docs/security.md has no row for ${principal}`);
  if (row === 'everything') return kind === 'subscribe' || !filterOrTopic.startsWith('$');
  const pats = row[kind];
  if (!filterOrTopic.includes('+') && !filterOrTopic.includes('#')) {
    return pats.some((p) => (p === 'EXTERNAL' ? externalTopic(filterOrTopic) : topicMatches(p, filterOrTopic)));
  }
  // A wildcard filter is allowed when a listed pattern covers it; the filters probed below are
  // either listed verbatim or cover topics outside every list (#, alicia/#, $SYS/#).
  return pats.some((p) => p === filterOrTopic || (p.endsWith('/#') && filterOrTopic.startsWith(p.slice(0, -1))));
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
  out.push({ family: '$SYS/#', topic: '$SYS/alicia/broker/stats' });
  return out;
}

/** Wildcard filters: every '+' family as declared, plus the broad ones nobody but operator/window gets. */
function wildcardFilters(): string[] {
  const out = (Object.keys(TOPICS) as string[]).filter((p) => p.includes('+'));
  out.push('homeassistant/#', '#', 'alicia/#', '$SYS/#');
  return out;
}

let tb: TestBroker;
let watcher: MqttClient;
const seen = new Set<string>();
const clients: MqttClient[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
  watcher = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'acl-watcher' });
  watcher.on('message', (_t, payload) => seen.add(payload.toString()));
  await watcher.subscribeAsync(['#', '$SYS/#'], { qos: 1 });
});

afterAll(async () => {
  await Promise.all([watcher, ...clients].map((c) => c?.endAsync(true).catch(() => undefined)));
  await tb?.stop();
});

async function connectAs(p: Principal): Promise<MqttClient> {
  // the window talks MQTT over WebSocket, everybody else over TCP
  const url = p === 'window' ? tb.wsUrl : tb.url;
  const c = await connectClient(url, { ...tb.credentials[p], clientId: `acl-${p}` });
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
  it('docs/security.md lists exactly what services/protocol aclFor() says', () => {
    for (const s of SERVICE_NAMES) {
      const row = DOC.get(s);
      expect(row, s).not.toBe('everything');
      expect(row).toEqual({ publish: [...aclFor(s as ServiceName).publish], subscribe: [...aclFor(s as ServiceName).subscribe] });
    }
    expect(DOC.get('operator')).toBe('everything');
    expect(DOC.get('window')).toBe('everything');
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

    for (const p of ALL_PRINCIPALS) {
      const c = await connectAs(p);
      let pubOk = 0;
      let subOk = 0;
      // --- publish: each topic with a unique marker payload, QoS 1 (PUBACK also for dropped ones)
      const markers = topics.map(({ topic }, i) => ({ topic, marker: `acl:${p}:${i}:${topic}` }));
      for (const { topic, marker } of markers) await c.publishAsync(topic, marker, { qos: 1 });
      // A sentinel on a topic this principal may publish, sent after all others on the same
      // connection: when the watcher has it, every allowed publish before it has arrived too
      // (MQTT 3.1.1 §4.6 ordering), so "not seen" means dropped, not "late".
      const sentinelTopic = p === 'operator' || p === 'window' ? 'alicia/broadcast/sentinel' : `alicia/health/heartbeat/${p}`;
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
    expect(stats.denied_publish).toBe(deniedPub);
    expect(stats.denied_subscribe).toBe(deniedSub);
    expect(tb.logs.filter((l) => l.msg === 'publish denied (dropped)').length).toBeGreaterThan(0);
  });
});

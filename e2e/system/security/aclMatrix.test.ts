import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { startTestBroker, type TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { parseHaConfig } from '../../../services/device-manager/haConfig.js';
import {
  BRIDGE_ACL,
  NODE_ACL,
  PRINCIPALS,
  SERVICE_NAMES,
  aclFor,
  deviceAclFor,
  type AnyPrincipal,
  type Principal,
} from '../../../services/lib/protocol/services.js';
import { DEVICE, DOC, concreteTopics, docAllows, subackCode, wildcardFilters } from './aclDoc.js';

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

const ALL_PRINCIPALS: AnyPrincipal[] = [...SERVICE_NAMES, ...PRINCIPALS, `device:${DEVICE}`];

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
    expect(DOC.get('node')).toEqual({ publish: [...NODE_ACL.publish], subscribe: [...NODE_ACL.subscribe] });
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
              : p === 'node'
                ? 'alicia/system/nodes/sentinel'
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

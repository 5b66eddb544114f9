import { describe, expect, it } from 'vitest';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { parseConfig } from '../config.js';

function bridgesOf(bridges: unknown) {
  return parseConfig({ broker: { bridges } }, 'config.json').broker.bridges;
}

/** The CONFIG_INVALID message for a config with these bridges (fails the test when it is accepted). */
function refusal(bridges: unknown): string {
  try {
    bridgesOf(bridges);
  } catch (e) {
    expect(e).toBeInstanceOf(AliciaError);
    expect((e as AliciaError).code).toBe('CONFIG_INVALID');
    return (e as AliciaError).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('config broker.bridges', () => {
  it('is empty by default; a minimal bridge gets Home Assistant adoption, QoS 1 and backoff defaults', () => {
    expect(parseConfig({}, 'config.json').broker.bridges).toEqual([]);
    const [b] = bridgesOf([{ name: 'home', url: 'mqtt://192.168.1.5:1883', username: 'alicia', password_file: '/etc/alicia/bridge.pw' }]);
    expect(b).toMatchObject({
      name: 'home',
      home_assistant: { enabled: true, prefix: 'homeassistant', qos: 1 },
      topics: { in: [], out: [] },
      reconnect: { initial_ms: 1000, max_ms: 30_000 },
    });
  });

  it('takes topic patterns in each direction with their QoS, and TLS files', () => {
    const [b] = bridgesOf([
      {
        name: 'nas',
        url: 'mqtts://nas.local:8883',
        tls: { ca_file: '/ca.pem', cert_file: '/c.pem', key_file: '/k.pem', reject_unauthorized: false },
        topics: { in: [{ filter: 'tasmota/+/tele/#', qos: 0 }], out: [{ filter: 'tasmota/+/cmnd/#' }] },
      },
    ]);
    expect(b?.topics).toEqual({ in: [{ filter: 'tasmota/+/tele/#', qos: 0 }], out: [{ filter: 'tasmota/+/cmnd/#', qos: 1 }] });
    expect(b?.tls?.reject_unauthorized).toBe(false);
  });

  it('refuses a URL that is not mqtt:// or mqtts://, or carries the credential', () => {
    expect(refusal([{ name: 'a', url: 'http://x:1883' }])).toContain(
      '"broker.bridges.0.url": expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]',
    );
    expect(refusal([{ name: 'a', url: 'mqtt://u:p@x:1883' }])).toContain('not in the URL');
  });

  it("refuses bad filters, $ topics, and out filters the bridge may not hold on Alicia's broker", () => {
    expect(refusal([{ name: 'a', url: 'mqtt://x', topics: { in: [{ filter: 'a/#/b' }] } }])).toContain(
      '"broker.bridges.0.topics.in.0.filter"',
    );
    expect(refusal([{ name: 'a', url: 'mqtt://x', topics: { in: [{ filter: '$SYS/#' }] } }])).toContain('never carries $ topics');
    for (const filter of ['alicia/voice/command', '#', '+/set', 'homeassistant/status'])
      expect(refusal([{ name: 'a', url: 'mqtt://x', topics: { out: [{ filter }] } }])).toContain(
        '"broker.bridges.0.topics.out.0.filter": an out filter',
      );
    expect(refusal([{ name: 'a', url: 'mqtt://x', topics: { out: [{ filter: 'z/set', qos: 2 }] } }])).toContain('topics.out.0.qos');
  });

  it('refuses two bridges with one name, a bad name, password without user, both password forms, cert without key, unknown keys', () => {
    expect(
      refusal([
        { name: 'a', url: 'mqtt://x' },
        { name: 'a', url: 'mqtt://y' },
      ]),
    ).toContain('"broker.bridges.1.name": two bridges are named a');
    expect(refusal([{ name: 'Home Broker', url: 'mqtt://x' }])).toContain('"broker.bridges.0.name"');
    expect(refusal([{ name: 'a', url: 'mqtt://x', password: 'p' }])).toContain('"broker.bridges.0.username": a password needs a username');
    expect(refusal([{ name: 'a', url: 'mqtt://x', username: 'u', password: 'p', password_file: '/f' }])).toContain('not both');
    expect(refusal([{ name: 'a', url: 'mqtt://x', tls: { cert_file: '/c.pem' } }])).toContain('cert_file and key_file go together');
    expect(refusal([{ name: 'a', url: 'mqtt://x', topic: [] }])).toContain('unknown key "broker.bridges.0.topic"');
  });
});

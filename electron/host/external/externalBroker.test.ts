import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { parseServeArgs } from '../headless.js';
import { brokerUrlProblem, resolveExternalBroker, tlsEnv } from './externalBroker.js';

const dir = mkdtempSync(join(tmpdir(), 'alicia-ext-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');

describe('the user broker settings', () => {
  it('take mqtt:// and mqtts:// (ws:// and wss:// for the window), nothing with credentials, a path or another scheme', () => {
    expect(brokerUrlProblem('mqtt://127.0.0.1:1883')).toBeNull();
    expect(brokerUrlProblem('mqtts://broker.lan')).toBeNull();
    expect(brokerUrlProblem('ws://127.0.0.1:9001/mqtt', ['ws:', 'wss:'])).toBeNull();
    expect(brokerUrlProblem('http://x')).toMatch(/must be mqtt:\/\/HOST\[:PORT\] or mqtts:/);
    expect(brokerUrlProblem('mqtt://u:p@x')).toMatch(/must not hold a user name or password/);
    expect(brokerUrlProblem('mqtt://x/path')).toMatch(/without a path/);
    expect(brokerUrlProblem('nonsense')).toMatch(/not a URL/);
  });

  it('read the TLS files (relative to the data dir) and hand services their paths', () => {
    const b = resolveExternalBroker({ url: 'mqtts://broker.lan:8883', ca_file: 'ca.pem', reject_unauthorized: false }, dir);
    expect(b.tls).toMatchObject({ rejectUnauthorized: false });
    expect(b.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(tlsEnv(b)).toEqual({ ALICIA_MQTT_REJECT_UNAUTHORIZED: '0', ALICIA_MQTT_CA_FILE: join(dir, 'ca.pem') });
    expect(tlsEnv(resolveExternalBroker({ url: 'mqtt://x', reject_unauthorized: true }, dir))).toEqual({});
  });

  it('refuse in one line naming the key: unreadable file, TLS files on plain mqtt://, a certificate without its key', () => {
    const r = (s: object) => () => resolveExternalBroker({ url: 'mqtts://x', reject_unauthorized: true, ...s }, dir);
    expect(r({ ca_file: 'missing.pem' })).toThrow(/^broker\.external\.ca_file .*missing\.pem cannot be read: ENOENT$/);
    expect(r({ url: 'mqtt://x', ca_file: 'ca.pem' })).toThrow(/broker\.external\.url is mqtt:\/\/ \(plain TCP\) but ca_file/);
    expect(r({ cert_file: 'ca.pem' })).toThrow(/broker\.external\.cert_file and key_file go together/);
  });

  it('come from config.json broker.external or --broker / --broker-ws, checked at load', () => {
    expect(parseServeArgs(['--broker', 'mqtt://127.0.0.1:1884', '--broker-ws', 'ws://127.0.0.1:9002'])).toMatchObject({
      brokerUrl: 'mqtt://127.0.0.1:1884',
      brokerWsUrl: 'ws://127.0.0.1:9002',
    });
    expect(() => parseServeArgs(['--broker', 'http://x'])).toThrow(/--broker must be mqtt:\/\//);
    const cfgDir = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ broker: { external: { url: 'mqtts://b:8883', ca_file: 'nope.pem' } } }));
    expect(() => loadConfig(cfgDir)).toThrow(/broker\.external\.ca_file .*nope\.pem cannot be read/);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ broker: { external: { url: 'mqtt://b:1883' } }, lan: { enabled: true } }));
    expect(() => loadConfig(cfgDir)).toThrow(/lan\.enabled .* does not run with broker\.external/);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({}));
    expect(loadConfig(cfgDir).broker.external).toBeNull();
    expect(loadConfig(cfgDir, { brokerUrl: 'mqtt://b:1883' }).broker.external).toEqual({ url: 'mqtt://b:1883', reject_unauthorized: true });
    expect(() => loadConfig(cfgDir, { brokerWsUrl: 'ws://b:9001' })).toThrow(/--broker-ws needs --broker URL/);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AliciaError } from '../../services/lib/protocol/errors.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { loadConfig, parseConfig } from './config.js';
import { defaultConfigPath } from './paths.js';
import { supervisorSettings } from './supervisor/supervisorSettings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alicia-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configError(fn: () => unknown): AliciaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AliciaError);
    expect((e as AliciaError).code).toBe('CONFIG_INVALID');
    return e as AliciaError;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('config', () => {
  it('creates config.json from the shipped default on first start, and the default is valid', () => {
    const cfg = loadConfig(dir);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(readFileSync(defaultConfigPath(), 'utf8'));
    expect(cfg.host).toBe('127.0.0.1');
    expect(cfg.ports).toEqual({ mqtt: 1883, ws: 9001, http: 8470 });
    expect(Object.keys(cfg.services).filter((k) => k !== '//')).toEqual([...SERVICE_NAMES]);
    expect(cfg.services.stt.enabled).toBe(true);
  });

  it('keeps an existing config.json and fills missing sections with defaults', () => {
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ports: { mqtt: 1999 }, services: { tts: { enabled: false, config: { voice: 'en-us' } } } }),
    );
    const cfg = loadConfig(dir);
    expect(cfg.ports).toEqual({ mqtt: 1999, ws: 9001, http: 8470 });
    expect(cfg.services.tts).toEqual({ enabled: false, config: { voice: 'en-us' } });
    expect(cfg.services.ai).toEqual({ enabled: true, config: {} });
    expect(cfg.supervisor.max_crashes).toBe(5);
  });

  it('command-line overrides win over the file', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ host: '0.0.0.0', tls: true, ports: { mqtt: 1999 } }));
    const cfg = loadConfig(dir, { host: '127.0.0.1', mqttPort: 0, httpPort: 0 });
    expect(cfg.host).toBe('127.0.0.1');
    expect(cfg.ports).toEqual({ mqtt: 0, ws: 9001, http: 0 });
    expect(loadConfig(dir).tls).toBe(true);
    expect(loadConfig(dir, { tls: false, host: 'localhost' }).tls).toBe(false);
  });

  it('a host other than 127.0.0.1, ::1 or localhost without TLS is refused in one line naming the flags', () => {
    for (const host of ['0.0.0.0', '127.0.0.2', '192.168.1.5', '::', 'alicia.local']) {
      const e = configError(() => loadConfig(dir, { host }));
      expect(e.message).toContain(`host ${host} is reachable from the network`);
      expect(e.message).toContain('--tls');
      expect(e.message).toContain('--host 127.0.0.1');
      expect(e.message).not.toContain('\n');
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(loadConfig(dir, { host }).host).toBe(host);
    expect(loadConfig(dir, { host: '127.0.0.2', tls: true })).toMatchObject({ host: '127.0.0.2', tls: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ host: '0.0.0.0' }));
    expect(configError(() => loadConfig(dir)).message).toContain(join(dir, 'config.json'));
  });

  it('supervisor.service_pool: on by default, and a boolean only; its settings carry it to the supervisor', () => {
    expect(loadConfig(dir).supervisor.service_pool).toBe(true);
    expect(supervisorSettings(loadConfig(dir)).servicePool).toBe(true);
    const off = parseConfig({ supervisor: { service_pool: false } }, 'f');
    expect(supervisorSettings(off).servicePool).toBe(false);
    expect(off.supervisor.max_crashes).toBe(5);
    for (const bad of ['no', 0, null])
      expect(configError(() => parseConfig({ supervisor: { service_pool: bad } }, '/x/config.json')).message).toContain(
        '"supervisor.service_pool"',
      );
  });

  it('window.session_idle_minutes: 30 by default, a positive number of minutes, fractions allowed', () => {
    expect(loadConfig(dir).window.session_idle_minutes).toBe(30);
    expect(parseConfig({ window: { session_idle_minutes: 0.5 } }, 'f').window.session_idle_minutes).toBe(0.5);
    for (const bad of [0, -1, '30', 1e9, null]) {
      const e = configError(() => parseConfig({ window: { session_idle_minutes: bad } }, '/x/config.json'));
      expect(e.message).toContain('"window.session_idle_minutes"');
    }
    expect(configError(() => parseConfig({ window: { idle: 5 } }, '/x/config.json')).message).toContain('"window.idle"');
    expect(configError(() => parseConfig({ tls: 'yes' }, '/x/config.json')).message).toContain('"tls"');
  });

  it('a bad value is an error naming the key and the file', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ports: { mqtt: 99999 } }));
    const e = configError(() => loadConfig(dir));
    expect(e.message).toContain(join(dir, 'config.json'));
    expect(e.message).toContain('"ports.mqtt"');
  });

  it('an unknown key (a typo) is an error naming it', () => {
    const e = configError(() => parseConfig({ services: { stt: { enabeld: false } } }, '/x/config.json'));
    expect(e.message).toContain('"services.stt.enabeld"');
    const top = configError(() => parseConfig({ hots: '1.2.3.4' }, '/x/config.json'));
    expect(top.message).toContain('"hots"');
    const svc = configError(() => parseConfig({ services: { speech: {} } }, '/x/config.json'));
    expect(svc.message).toContain('"services.speech"');
  });

  it('broker limits: every key in the shipped default, raised values kept, a bad value refused naming its key', () => {
    const defaults = parseConfig({}, 'f').broker;
    const shipped = JSON.parse(readFileSync(defaultConfigPath(), 'utf8')) as { broker: Record<string, unknown> };
    // the shipped file spells out every broker limit, with the schema's default
    const { '//': note, ...fromFile } = parseConfig({ broker: shipped.broker }, 'f').broker;
    expect(note).toBeTypeOf('string');
    expect(fromFile).toEqual(defaults);
    expect(
      Object.keys(shipped.broker)
        .filter((k) => k !== '//')
        .sort(),
    ).toEqual(Object.keys(defaults).sort());

    const raised = parseConfig(
      {
        broker: {
          max_clients: 5000,
          max_topic_levels: 32,
          rate_limit: { messages_per_second: 20_000, burst: 50_000 },
          shared_subscriptions: { inflight_window: 100 },
        },
      },
      'f',
    ).broker;
    expect(raised).toMatchObject({
      max_clients: 5000,
      max_topic_levels: 32,
      rate_limit: { enabled: true, messages_per_second: 20_000, burst: 50_000 },
      shared_subscriptions: { inflight_window: 100, max_queued: 1000 },
    });

    const bad: [Record<string, unknown>, string][] = [
      [{ max_topic_levels: 101 }, '"broker.max_topic_levels"'],
      [{ max_clients: 0 }, '"broker.max_clients"'],
      [{ offline_session_expiry_ms: -1 }, '"broker.offline_session_expiry_ms"'],
      [{ rate_limit: { messages_per_second: 0 } }, '"broker.rate_limit.messages_per_second"'],
      [{ rate_limit: { burst: 1.5 } }, '"broker.rate_limit.burst"'],
      [{ shared_subscriptions: { inflight_window: 0 } }, '"broker.shared_subscriptions.inflight_window"'],
      [{ max_payload_bytes: '8MB' }, '"broker.max_payload_bytes"'],
      [{ max_clinets: 10 }, '"broker.max_clinets"'],
    ];
    for (const [broker, key] of bad) expect(configError(() => parseConfig({ broker }, '/x/config.json')).message, key).toContain(key);
  });

  it('a service config section is passed through unvalidated (the service validates it)', () => {
    const cfg = parseConfig({ services: { stt: { config: { beam: 1e-80, grammar: { words: ['a'] } } } } }, 'f');
    expect(cfg.services.stt.config).toEqual({ beam: 1e-80, grammar: { words: ['a'] } });
  });

  it('a file that is not JSON is an error naming the file', () => {
    writeFileSync(join(dir, 'config.json'), '{ "host": ');
    const e = configError(() => loadConfig(dir));
    expect(e.message).toContain(join(dir, 'config.json'));
    expect(e.message).toMatch(/not valid JSON/);
  });
});

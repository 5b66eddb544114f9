import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../../services/lib/protocol/services.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { SQLITE_BINDING_ENV } from '../../../services/lib/runtime/sqlite.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { TestBroker } from '../broker/testing/testBroker.js';
import type { LaunchSpec } from './launcher.js';
import { NodeLauncher } from './nodeLauncher.js';
import { inheritedEnv } from './serviceEnv.js';
import { SERVICE_ALLOCATOR_ENV, serviceFlags } from './serviceFlags.js';
import { Supervisor } from './supervisor.js';

const MINI = fileURLToPath(new URL('./testing/fixtures/miniService.mjs', import.meta.url));

describe('inheritedEnv', () => {
  it('keeps the host environment, drops ALICIA_* except the log level and the SQLite addon path', () => {
    const env = inheritedEnv({
      PATH: '/usr/bin',
      HOME: '/home/me',
      ALICIA_MQTT_PASSWORD: 'operator-secret',
      ALICIA_DATA_DIR: '/host/data',
      ALICIA_LOG_LEVEL: 'debug',
      [SQLITE_BINDING_ENV]: '/cache/electron-41/better_sqlite3.node',
      UNSET: undefined,
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/me',
      ALICIA_LOG_LEVEL: 'debug',
      [SQLITE_BINDING_ENV]: '/cache/electron-41/better_sqlite3.node',
    });
  });
});

describe('Supervisor launch environment', { timeout: 60_000 }, () => {
  let tb: TestBroker | undefined;
  let sup: Supervisor | undefined;
  const saved = { binding: process.env[SQLITE_BINDING_ENV], secret: process.env.ALICIA_TEST_SECRET };

  afterEach(async () => {
    await sup?.stop();
    await tb?.stop();
    sup = tb = undefined;
    for (const [k, v] of [
      [SQLITE_BINDING_ENV, saved.binding],
      ['ALICIA_TEST_SECRET', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** A supervisor of one service (the mini fixture) on a test broker, recording what it launches. */
  async function startSupervising(
    service: 'device-manager' | 'discovery',
  ): Promise<{ broker: TestBroker; launched: LaunchSpec[]; supervisor: Supervisor }> {
    tb = await startTestBroker();
    const broker = tb;
    const launched: LaunchSpec[] = [];
    const node = new NodeLauncher();
    sup = new Supervisor({
      bus: broker.broker,
      launcher: { launch: (spec) => (launched.push(spec), node.launch(spec)) },
      servicesDir: '/nonexistent',
      dataDir: broker.dataDir,
      services: [{ name: service, enabled: true, modulePath: MINI, config: { mode: 'normal' } }],
      mqttUrl: broker.url,
      credentialFor: (s) => broker.credentials[s as Principal],
      log: createLogger('service-env-test', 'error'),
      policy: { readyTimeoutMs: 25_000, graceMs: 4000 },
    });
    await sup.start();
    return { broker, launched, supervisor: sup };
  }

  it('a service started by the supervisor gets the host’s SQLite addon path but not its other ALICIA_* variables', async () => {
    // What `npm start` sets for Electron; the real process below must receive it.
    process.env[SQLITE_BINDING_ENV] = '/cache/electron-41.7.1/better_sqlite3.node';
    process.env.ALICIA_TEST_SECRET = 'host-only';
    const { broker, launched, supervisor } = await startSupervising('device-manager');
    // Running = the fixture connected with the credential from the same env: the spec was really used.
    expect(await supervisor.whenSettled(30_000)).toEqual({ 'device-manager': 'running' });
    expect(launched).toHaveLength(1);
    const env = launched[0]!.env;
    expect(env[SQLITE_BINDING_ENV]).toBe('/cache/electron-41.7.1/better_sqlite3.node');
    expect(env.ALICIA_TEST_SECRET).toBeUndefined();
    expect(env.ALICIA_MQTT_USERNAME).toBe(broker.credentials['device-manager'].username);
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('a service starts with its V8 flags and the allocator setting, and runs with them', async () => {
    const { launched, supervisor } = await startSupervising('discovery');
    expect(await supervisor.whenSettled(30_000)).toEqual({ discovery: 'running' });
    expect(launched[0]!.execArgv).toEqual(serviceFlags('discovery'));
    expect(launched[0]!.execArgv).toContain('--max-semi-space-size=1');
    for (const [k, v] of Object.entries(SERVICE_ALLOCATOR_ENV)) expect(launched[0]!.env[k]).toBe(v);
  });
});

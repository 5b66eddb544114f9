import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../../../../services/lib/protocol/services.js';
import { AliciaBroker, type AliciaBrokerOptions } from '../broker.js';
import { Credentials } from '../credentials.js';
import type { Credential } from '../types.js';
import type { Logger, LogLevel } from '../../../../services/lib/runtime/logger.js';

export interface TestBroker {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/mqtt */
  wsUrl: string;
  /**
   * one credential per principal: every service and the operator from credentials.json, and for
   * `window` the credential of a window session issued at start (principal `window:test-window`)
   */
  credentials: Record<Principal, Credential>;
  broker: AliciaBroker;
  dataDir: string;
  /** every log line the broker wrote (tests assert on denials) */
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  stop(): Promise<void>;
}

export type TestBrokerOptions = Partial<Omit<AliciaBrokerOptions, 'dataDir' | 'credentials'>> & {
  /** also print the broker log to stderr */
  verbose?: boolean;
};

/** The id of the window session a test broker issues at start (its credential is `credentials.window`). */
export const TEST_WINDOW_SESSION = 'test-window';

/**
 * A real embedded Alicia broker (auth + ACL on) on free ports with a fresh temp data dir, for
 * tests. stop() closes it and removes the data dir.
 */
export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'alicia-broker-test-'));
  const logs: TestBroker['logs'] = [];
  const { verbose, log: userLog, ...rest } = opts;
  // Records every line (a test asserts on what the broker logged) and forwards it to the caller's logger.
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logs.push(fields === undefined ? { level, msg } : { level, msg, fields });
      if (verbose) process.stderr.write(`[broker ${level}] ${msg} ${fields ? JSON.stringify(fields) : ''}\n`);
      userLog?.[level](msg, fields);
    };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  let broker: AliciaBroker | null = null;
  try {
    const credentials = await Credentials.loadOrCreate(dataDir);
    broker = new AliciaBroker({ mqttPort: 0, wsPort: 0, statsIntervalMs: 0, ...rest, dataDir, credentials, log });
    await broker.start();
    const b = broker;
    const { mqttUrl, wsUrl } = b.addresses;
    const { username, password } = credentials.issueWindow(TEST_WINDOW_SESSION);
    return {
      url: mqttUrl,
      wsUrl,
      credentials: { ...credentials.all(), window: { username, password } },
      broker: b,
      dataDir,
      logs,
      async stop() {
        await b.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** The environment a service process gets from the supervisor, for this test broker. */
export function serviceEnv(
  test: Pick<TestBroker, 'url' | 'credentials'>,
  principal: Principal,
): { ALICIA_MQTT_URL: string; ALICIA_MQTT_USERNAME: string; ALICIA_MQTT_PASSWORD: string } {
  const c = test.credentials[principal];
  return { ALICIA_MQTT_URL: test.url, ALICIA_MQTT_USERNAME: c.username, ALICIA_MQTT_PASSWORD: c.password };
}

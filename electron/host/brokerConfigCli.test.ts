import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBrokerConfigArgs } from './brokerConfigCli.js';
import { writeMosquittoConfig } from './external/mosquittoConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'alicia-broker-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alicia broker-config mosquitto --ws-port', () => {
  it('takes a second port for the window, refuses a bad one or the MQTT port again', () => {
    expect(parseBrokerConfigArgs(['mosquitto', '--out', dir, '--port', '1884', '--ws-port', '9002'], {})).toMatchObject({
      port: 1884,
      wsPort: 9002,
    });
    expect(parseBrokerConfigArgs(['mosquitto', '--out', dir], {})).not.toHaveProperty('wsPort');
    expect(() => parseBrokerConfigArgs(['mosquitto', '--out', dir, '--ws-port', '0'], {})).toThrow(/--ws-port must be 1-65535/);
    expect(() => parseBrokerConfigArgs(['mosquitto', '--out', dir, '--port', '1884', '--ws-port', '1884'], {})).toThrow(
      /--ws-port must differ from --port/,
    );
  });

  it('writes a websockets listener on the same address after the MQTT one, and only when asked', async () => {
    const data = join(dir, 'data');
    const withWs = await writeMosquittoConfig({ dataDir: data, outDir: join(dir, 'ws'), port: 1884, wsPort: 9002 });
    const conf = readFileSync(withWs.files.conf, 'utf8');
    expect(conf).toMatch(/^listener 1884 127\.0\.0\.1$[^]*^listener 9002 127\.0\.0\.1\nprotocol websockets$/m);
    expect(conf).toContain('alicia serve --broker mqtt://127.0.0.1:1884 --broker-ws ws://127.0.0.1:9002');
    const plain = await writeMosquittoConfig({ dataDir: data, outDir: join(dir, 'plain'), port: 1884 });
    expect(readFileSync(plain.files.conf, 'utf8')).not.toMatch(/protocol websockets|--broker-ws/);
  });
});

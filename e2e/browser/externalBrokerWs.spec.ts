import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import mqtt from 'mqtt';
import { Credentials } from '../../electron/host/broker/credentials.js';
import { SHARED_WINDOW } from '../../services/lib/protocol/services.js';
import { collectErrors, openApp } from '../support/app.js';
import { mosquittoPub, nextMessage, operatorClient } from '../support/bus.js';
import { CLI, ROOT as REPO_ROOT, startHost, type HostProcess } from '../support/host.js';
import { MosquittoProcess, freePort } from '../support/mosquitto.js';

/**
 * The window straight on the user's own broker: `alicia broker-config mosquitto --ws-port W` writes
 * a Mosquitto config with a websockets listener beside the MQTT one, Debian's Mosquitto runs it
 * (started and stopped by its pid), and `alicia serve --broker mqtt://... --broker-ws ws://...`
 * hands every signed-in browser that listener and the shared window credential. The browser's
 * only WebSocket goes to Mosquitto, never to the host; live state arrives and a command from the
 * window is carried out.
 */
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'alicia-ext-ws-'));
const confDir = mkdtempSync(join(tmpdir(), 'alicia-mosquitto-ws-'));
const LIGHT = 'kitchen_light';
const COMMAND = 'alicia/device/command';
/** Mosquitto's log line for a CONNECT with the shared window credential */
const SHARED_CONNECT = new RegExp(`New client connected from \\S+ as \\S+ \\([^)]*u'${SHARED_WINDOW}'\\)`, 'g');

let mosq: MosquittoProcess;
let host: HostProcess;
let wsUrl: string;
let mqttUrl: string;

test.beforeAll(async () => {
  await Credentials.loadOrCreate(dataDir);
  const port = await freePort();
  const wsPort = await freePort();
  // the command a user runs, through the built CLI
  const args = ['broker-config', 'mosquitto', '--data-dir', dataDir, '--out', confDir, '--port', `${port}`, '--ws-port', `${wsPort}`];
  const written = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(written.status, written.stderr).toBe(0);
  mqttUrl = `mqtt://127.0.0.1:${port}`;
  wsUrl = `ws://127.0.0.1:${wsPort}`;
  expect(written.stdout).toContain(`alicia serve --broker ${mqttUrl} --broker-ws ${wsUrl}`);
  mosq = new MosquittoProcess(join(confDir, 'mosquitto.conf'), port);
  await mosq.start();
  expect(mosq.log()).toContain(`Opening websockets listen socket on port ${wsPort}`);
  host = await startHost({ dataDir, args: ['--broker', mqttUrl, '--broker-ws', wsUrl] });
});
test.afterAll(async () => {
  await host?.stop({ keep: true });
  await mosq?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(confDir, { recursive: true, force: true });
});

test("the websockets listener takes the generated passwords: no anonymous access, the window's credential in", async () => {
  // no per_listener_settings: password_file and allow_anonymous false apply to the second listener too
  await expect(mqtt.connectAsync(wsUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(
    /Not authorized|Bad username/i,
  );
  const shared = (await Credentials.loadOrCreate(dataDir)).get(SHARED_WINDOW);
  const c = await mqtt.connectAsync(wsUrl, { ...shared, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  await c.endAsync();
});

test("the window connects to Mosquitto's own WebSocket listener, shows live state, and its command is carried out", async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const bus = await operatorClient(host.runtime);
  const commands: { device_id?: string; action?: string }[] = [];
  bus.on('message', (topic, payload) => {
    if (topic === COMMAND) commands.push(JSON.parse(payload.toString()) as (typeof commands)[number]);
  });
  try {
    await bus.subscribeAsync(COMMAND, { qos: 1 });
    const sharedConnects = () => mosq.log().match(SHARED_CONNECT)?.length ?? 0;
    const probed = sharedConnects(); // the host's start checks every credential, this one too
    await openApp(page, host.runtime, 'health');
    // one WebSocket, to Mosquitto's listener (through the host it would go to the host's proxy port)
    expect(sockets.map((u) => new URL(u).host)).toEqual([new URL(wsUrl).host]);
    // and Mosquitto saw the shared window credential arrive once more (it logs each CONNECT with its user name)
    await expect.poll(sharedConnects).toBe(probed + 1);
    await expect(page.getByTestId('broker-note')).toContainText(`On your own broker ${mqttUrl}`);
    await expect(page.getByTestId('broker-note')).toContainText("through the broker's own WebSocket listener");

    // live state: another client commands the light; the device manager's new status reaches the card
    await page.getByTestId('nav-devices').click();
    await mosquittoPub(host.runtime, COMMAND, JSON.stringify({ device_id: LIGHT, action: 'set_brightness', params: { brightness: 37 } }));
    await expect(page.getByTestId(`summary-${LIGHT}`)).toHaveText('on · 37%');
    await page.screenshot({ path: join(OUT, 'devices-external-broker-ws.png') });

    // the window's own command: one on the bus, and the light is off
    const before = commands.length;
    const off = nextMessage(bus, `alicia/device/status/${LIGHT}`, (m) => (m as { state?: { on?: boolean } }).state?.on === false, 15_000);
    await page.getByTestId(`toggle-${LIGHT}`).click();
    await off;
    await expect(page.getByTestId(`summary-${LIGHT}`)).toHaveText('off');
    // a sentinel after it: whatever the window sent has arrived by then
    const sentinel = nextMessage(bus, 'e2e/sentinel', () => true, 10_000);
    await bus.subscribeAsync('e2e/sentinel', { qos: 1 });
    await bus.publishAsync('e2e/sentinel', '1', { qos: 1 });
    await sentinel;
    expect(commands.slice(before).filter((c) => c.device_id === LIGHT)).toHaveLength(1);
    expect(sockets).toHaveLength(1);
    expect(errors).toEqual([]);
  } finally {
    await bus.endAsync();
  }
});

import { readFileSync } from 'node:fs';
import mqtt, { MqttClient } from 'mqtt';
import type { IClientOptions, IPublishPacket } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { startTestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { MQTT_JS_VERSION, PubackHold } from './mqttInternals.js';

/**
 * Pins the MQTT.js private API that mqttInternals.ts patches. When one of these fails after an
 * MQTT.js upgrade, the held PUBACK (and with it "no request lost on kill -9") may be silently broken:
 * read node_modules/mqtt/build/lib/client.js (`_sendPacket`) and handlers/publish.js (the QoS 1 case)
 * against the three facts listed in mqttInternals.ts, fix the patch, then update MQTT_JS_VERSION.
 */
const RECHECK =
  'MQTT.js changed under services/lib/runtime/mqttInternals.ts: re-check that MqttClient#_sendPacket still writes every PUBACK ' +
  "and that a QoS 1 message reaches 'message' listeners before its PUBACK is sent (node_modules/mqtt/build/lib/client.js, " +
  'handlers/publish.js), fix PubackHold, then update MQTT_JS_VERSION';

const installed = (
  JSON.parse(readFileSync(new URL('../../../node_modules/mqtt/package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

type SendPacket = (packet: { cmd: string; messageId?: number }, ...rest: unknown[]) => void;

/** Record the command (and message id) of every packet the client really writes. */
function spyWrites(client: MqttClient): { cmd: string; messageId?: number }[] {
  const written: { cmd: string; messageId?: number }[] = [];
  const internals = client as unknown as { _sendPacket: SendPacket };
  const send = internals._sendPacket.bind(client);
  internals._sendPacket = (packet, ...rest) => {
    written.push({ cmd: packet.cmd, messageId: packet.messageId });
    send(packet, ...rest);
  };
  return written;
}

function aiSession(clientId: string): MqttClient {
  const opts: IClientOptions = { ...tb.credentials.ai, clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 };
  return mqtt.connect(tb.url, opts);
}

/**
 * A session of the ai principal (it may read alicia/ai/request) subscribed at QoS 1, with `hold`
 * attached before any message can arrive; `written` lists what it really wrote (under the hold).
 */
async function heldClient(
  hold: PubackHold | null,
  clientId: string,
): Promise<{ client: MqttClient; written: { cmd: string; messageId?: number }[] }> {
  const client = aiSession(clientId);
  const written = spyWrites(client);
  hold?.attach(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync('alicia/ai/request', { qos: 1 });
  return { client, written };
}

/** Gone as a kill -9 leaves it: end(true) destroys the socket without a DISCONNECT. */
function kill(client: MqttClient): void {
  client.end(true);
}

describe('MQTT.js private API used by mqttInternals.ts', () => {
  it(`the installed MQTT.js is the version the patch was checked against (${MQTT_JS_VERSION})`, () => {
    expect(installed, `installed mqtt ${installed}, checked ${MQTT_JS_VERSION}. ${RECHECK}`).toBe(MQTT_JS_VERSION);
  });

  it('MqttClient#_sendPacket exists', () => {
    expect(typeof (MqttClient.prototype as unknown as { _sendPacket?: unknown })._sendPacket, RECHECK).toBe('function');
  });

  it("a QoS 1 message reaches 'message' listeners before its PUBACK goes through _sendPacket", async () => {
    const { client, written } = await heldClient(null, 'pin-order');
    const op = await connectClient(tb.url, tb.credentials.operator);
    try {
      const events: string[] = [];
      client.on('message', () => events.push(`message (${written.filter((w) => w.cmd === 'puback').length} PUBACKs sent)`));
      await op.publishAsync('alicia/ai/request', 'order', { qos: 1 });
      await waitFor(() => written.some((w) => w.cmd === 'puback'), 'the PUBACK');
      expect(events, RECHECK).toEqual(['message (0 PUBACKs sent)']);
    } finally {
      await op.endAsync();
      await client.endAsync();
    }
  });

  it('a held PUBACK is not sent: a process killed before its handler settled gets the message again', async () => {
    const op = await connectClient(tb.url, tb.credentials.operator);
    const hold = new PubackHold();
    const { client: first, written } = await heldClient(hold, 'pin-held');
    let reconnected: MqttClient | null = null;
    try {
      const got: IPublishPacket[] = [];
      first.on('message', (_t, _p, packet) => {
        got.push(packet);
        hold.hold(packet, new Promise(() => undefined)); // a handler that never returns
      });
      await op.publishAsync('alicia/ai/request', 'held', { qos: 1 });
      await waitFor(() => got.length === 1, 'the first delivery');
      expect(
        written.filter((w) => w.cmd === 'puback'),
        RECHECK,
      ).toEqual([]);
      kill(first);
      const again: string[] = [];
      reconnected = aiSession('pin-held');
      reconnected.on('message', (_t, payload) => again.push(payload.toString()));
      await waitFor(() => again.includes('held'), `the redelivery of the unacknowledged message. ${RECHECK}`);
    } finally {
      await op.endAsync();
      await reconnected?.endAsync();
    }
  });

  it('the PUBACK goes once the handler settles, in arrival order; the packet loop never waits', async () => {
    const op = await connectClient(tb.url, tb.credentials.operator);
    const hold = new PubackHold();
    const { client, written } = await heldClient(hold, 'pin-release');
    let reconnected: MqttClient | null = null;
    try {
      const releases: (() => void)[] = [];
      const got: string[] = [];
      const ids: number[] = [];
      client.on('message', (_t, payload, packet) => {
        got.push(payload.toString());
        ids.push(packet.messageId!);
        hold.hold(packet, new Promise<void>((r) => releases.push(r)));
      });
      const acked = () => written.filter((w) => w.cmd === 'puback').map((w) => w.messageId);
      await op.publishAsync('alicia/ai/request', 'a', { qos: 1 });
      await op.publishAsync('alicia/ai/request', 'b', { qos: 1 });
      await waitFor(() => got.length === 2, 'both messages read while the first is still held');
      releases[1]!(); // the second handler settles first: its PUBACK still waits for the first
      await op.publishAsync('alicia/ai/request', 'c', { qos: 1 });
      await waitFor(() => got.length === 3, 'the sentinel');
      expect(acked()).toEqual([]);
      releases[0]!();
      await waitFor(() => acked().length === 2, 'both PUBACKs');
      expect(acked()).toEqual(ids.slice(0, 2));
      // acknowledged: a new session on the same id gets neither again, only the one still held
      kill(client);
      const again: string[] = [];
      reconnected = aiSession('pin-release');
      reconnected.on('message', (_t, payload) => again.push(payload.toString()));
      await waitFor(() => again.includes('c'), 'the redelivery of the held one');
      expect(again).toEqual(['c']);
    } finally {
      await op.endAsync();
      await reconnected?.endAsync();
    }
  });
});

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';

/**
 * An mqtt.js client for tests: MQTT 3.1.1 (Aedes speaks nothing newer), no auto-reconnect, and
 * TCP_NODELAY on the socket (mqtt.js has no option for it; without it Nagle's algorithm and the
 * peer's delayed ACK hold each QoS 1 round trip back by ~40-90 ms).
 */
export async function connectClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  const stream = client.stream as Partial<Socket> | undefined;
  if (stream && typeof stream.setNoDelay === 'function') stream.setNoDelay(true);
  return client;
}

/** Collect messages on a client into an array (topic, payload text, retain flag). */
export function collect(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const out: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => out.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return out;
}

/** Resolve when `cond` holds, polling; reject after timeoutMs with `what` in the message. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A QoS 1 PUBLISH on `client` and its PUBACK: proves the connection is open now. Rejects if the
 * connection closes first (mqtt.js would otherwise keep the message for a reconnect that never comes).
 */
export function roundTrip(client: MqttClient, topic: string, payload = '{}'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error(`the connection closed before the PUBACK on ${topic}`));
    client.once('close', onClose);
    client.publishAsync(topic, payload, { qos: 1 }).then(
      () => {
        client.off('close', onClose);
        resolve();
      },
      (e: unknown) => {
        client.off('close', onClose);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { seal, newId } from '../../lib/protocol/envelope.js';
import type { Credential } from '../../../electron/host/broker/types.js';

export interface Received {
  topic: string;
  msg: Record<string, unknown>;
  at: number;
}

/**
 * A plain MQTT.js client for tests, standing for a person or tool (operator principal): publishes
 * hand-made messages (valid or not) and records everything it receives, so a test can wait for the
 * message it expects by a predicate.
 */
export class OperatorClient {
  readonly received: Received[] = [];
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      let msg: Record<string, unknown>;
      try {
        msg = payload.length ? (JSON.parse(payload.toString()) as Record<string, unknown>) : {};
      } catch {
        return;
      }
      const r = { topic, msg, at: performance.now() };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  static async connect(url: string, cred: Credential, clientId = `test-${newId()}`): Promise<OperatorClient> {
    const client = await mqtt.connectAsync(url, {
      clientId,
      username: cred.username,
      password: cred.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip without it (docs/benchmarks.md); MQTT.js has no option for it
    (client.stream as Partial<Socket>).setNoDelay?.(true);
    return new OperatorClient(client);
  }

  async subscribe(...filters: string[]): Promise<void> {
    await this.client.subscribeAsync(filters, { qos: 1 });
  }

  /** Publish a body sealed in a valid envelope; returns the envelope ids used. */
  async send(
    topic: string,
    body: Record<string, unknown>,
    ids: { session_id?: string; trace_id?: string } = {},
  ): Promise<{ id: string; trace_id: string; correlation_id: string }> {
    const correlation_id = newId();
    const msg = seal(body, { source: 'operator', correlation_id, trace_id: ids.trace_id ?? newId(), session_id: ids.session_id });
    await this.client.publishAsync(topic, JSON.stringify(msg), { qos: 1 });
    return { id: msg.id, trace_id: msg.trace_id, correlation_id };
  }

  async sendRaw(topic: string, payload: string | Buffer): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** The first message (already received or still to come) matching pred, or a rejection after timeoutMs. */
  waitFor(pred: (r: Received) => boolean, timeoutMs = 10_000, what = 'message'): Promise<Received> {
    const have = this.received.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (r: Received) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Wait for the reply (or error) correlated to a request this client sent (not the request itself, when subscribed to it). */
  reply(correlation_id: string, timeoutMs = 10_000): Promise<Received> {
    return this.waitFor(
      (r) => r.msg.correlation_id === correlation_id && r.msg.source !== 'operator',
      timeoutMs,
      `the reply to ${correlation_id}`,
    );
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

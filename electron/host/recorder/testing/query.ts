import type { MqttClient } from 'mqtt';
import { newId, seal } from '../../../../services/lib/protocol/envelope.js';
import { topicFor } from '../../../../services/lib/protocol/topics.js';

export const REQUEST_TOPIC = topicFor('alicia/system/recorder/request');
export const RESPONSE_TOPIC = topicFor('alicia/system/recorder/response');

/**
 * Ask the recorder over MQTT like the window does: publish a sealed request, wait for the
 * response carrying our correlation id. The client must already be subscribed to RESPONSE_TOPIC.
 */
export async function ask(
  client: MqttClient,
  body: Record<string, unknown> | string | Buffer,
  opts: { correlationId?: string; timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  const cid = opts.correlationId ?? newId();
  const payload =
    typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(seal(body, { source: 'test', correlation_id: cid }));
  const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMsg);
      reject(new Error(`no recorder response for ${cid}`));
    }, opts.timeoutMs ?? 5000);
    const onMsg = (topic: string, buf: Buffer) => {
      if (topic !== RESPONSE_TOPIC) return;
      const msg = JSON.parse(buf.toString()) as Record<string, unknown>;
      if (msg.correlation_id !== cid) return;
      clearTimeout(timer);
      client.off('message', onMsg);
      resolve(msg);
    };
    client.on('message', onMsg);
  });
  await client.publishAsync(REQUEST_TOPIC, payload, { qos: 1 });
  return reply;
}

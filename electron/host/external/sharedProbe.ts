import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { sharedFilter } from '../../../services/lib/protocol/sharedSubscription.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import type { Credential } from '../broker/types.js';
import { describeConnectFailure } from './brokerProbe.js';
import type { ExternalTls } from './externalBroker.js';

export interface SharedProbeOptions {
  url: string;
  tls: ExternalTls | null;
  /** a principal that may publish and subscribe alicia/system/probe/+ (operator, node) */
  principal: string;
  credential: Credential;
  /** how long to wait for the probe message (default 3 s) */
  timeoutMs?: number;
}

/**
 * Does the broker have shared subscriptions? A broker without them takes `$share/<group>/<filter>`
 * as an ordinary filter that no topic matches (a `$` level matches only itself), so a message the
 * prober sends itself arrives only where they work: subscribe `$share/<probe>/alicia/system/probe/<id>`,
 * publish on alicia/system/probe/<id> (QoS 1; after the SUBACK, so it is not early) and wait.
 * A SUBACK 0x80 (refused) reads as "no". Rejects when the broker cannot be reached or refuses the credential.
 */
export async function probeSharedSubscriptions(o: SharedProbeOptions): Promise<boolean> {
  const id = `probe-${randomBytes(6).toString('hex')}`;
  const topic = topicFor('alicia/system/probe/+', id);
  const client = await mqtt
    .connectAsync(o.url, {
      clientId: `alicia-${id}`,
      username: o.credential.username,
      password: o.credential.password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(o.tls ?? {}),
    })
    .catch((e: unknown) => {
      throw describeConnectFailure(e, o.url, o.principal);
    });
  try {
    const arrived = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), o.timeoutMs ?? 3_000);
      client.on('message', (t) => {
        if (t !== topic) return;
        clearTimeout(timer);
        resolve(true);
      });
    });
    const granted = await client.subscribeAsync(sharedFilter(id, topic), { qos: 1 }).catch(() => null);
    if (!granted || granted.some((g) => g.qos === 128)) return false;
    await client.publishAsync(topic, JSON.stringify(seal({ probe: id }, { source: o.principal })), { qos: 1 });
    return await arrived;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionStore } from './aedesInternals.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';
import { connectClient, roundTrip, waitFor } from './testing/mqttClient.js';

/**
 * Each routed message reaches a subscriber once: not lost when a later message overtakes it on its
 * way through the broker (a retained or QoS 1 message waits for the persistence, a QoS 0 one does
 * not), and not repeated when several of the client's subscriptions match it.
 */

let tb: TestBroker;
const open: MqttClient[] = [];

interface Got {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/**
 * A client of the operator's. Tests subscribe to all of alicia/system/services/+: what earlier tests
 * left retained there arrives on subscribe (retain 1) and is no part of what a test looks at.
 */
async function operator(clientId: string, clean = true): Promise<{ client: MqttClient; got: Got[] }> {
  const c = tb.credentials.operator;
  const client = await connectClient(tb.url, { username: c.username, password: c.password, clientId, clean });
  open.push(client);
  const got: Got[] = [];
  client.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }),
  );
  return { client, got };
}

beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await tb.stop();
});

const ROUNDS = 20;
const STATE = 'alicia/system/services/stt';
const HEARTBEAT = 'alicia/health/heartbeat/stt';
const RESPONSE = 'alicia/system/supervisor/response';
/** stored after each round's state: routed after it, so its arrival means the state's is decided */
const SENTINEL = 'alicia/system/services/sentinel';

describe('a message overtaken by a later one', () => {
  it.each([
    ['QoS 0 heartbeat', HEARTBEAT, 0],
    ['QoS 1 response', RESPONSE, 1],
  ] as const)('a retained QoS 1 state followed at once by a %s: both arrive, every round', async (_what, topic, qos) => {
    const { client, got } = await operator(`overtaken-${qos}`);
    await client.subscribeAsync({ 'alicia/system/services/+': { qos: 1 }, [topic]: { qos: 1 } });
    for (let round = 0; round < ROUNDS; round++) {
      const state = tb.broker.publish(STATE, `{"round":${round}}`, { qos: 1, retain: true });
      const next = tb.broker.publish(topic, `{"round":${round}}`, { qos });
      const sentinel = tb.broker.publish(SENTINEL, `{"round":${round}}`, { qos: 1, retain: true });
      await Promise.all([state, next, sentinel]);
      await waitFor(
        () => got.some((g) => !g.retain && g.topic === SENTINEL && g.payload === `{"round":${round}}`),
        `round ${round}'s sentinel`,
      );
    }
    const rounds = (t: string) => got.filter((g) => !g.retain && g.topic === t).map((g) => JSON.parse(g.payload) as { round: number });
    const all = Array.from({ length: ROUNDS }, (_, round) => ({ round }));
    expect(rounds(STATE)).toEqual(all);
    expect(rounds(topic)).toEqual(all);
  });

  it('a persistent session gets the overtaken message live and keeps nothing once it is acknowledged', async () => {
    const id = 'overtaken-kept';
    const { client, got } = await operator(id, false);
    await client.subscribeAsync({ 'alicia/system/services/+': { qos: 1 }, [HEARTBEAT]: { qos: 0 } });
    await Promise.all([
      tb.broker.publish(STATE, '{"kept":true}', { qos: 1, retain: true }),
      tb.broker.publish(HEARTBEAT, '{"kept":true}', { qos: 0 }),
      tb.broker.publish(SENTINEL, '{"kept":true}', { qos: 1, retain: true }),
    ]);
    await waitFor(() => got.some((g) => !g.retain && g.topic === SENTINEL && g.payload === '{"kept":true}'), 'the sentinel');
    // in either order: the heartbeat may overtake the state
    expect(got.filter((g) => !g.retain && g.topic !== SENTINEL).sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: HEARTBEAT, payload: '{"kept":true}', qos: 0, retain: false },
      { topic: STATE, payload: '{"kept":true}', qos: 1, retain: false },
    ]);
    // the broker handles a client's packets in order: once its own PUBLISH is acknowledged, so are
    // the PUBACKs it sent before it
    await roundTrip(client, 'alicia/test/acked');
    const left: unknown[] = [];
    for await (const p of sessionStore(tb.broker.aedes).outgoingStream({ id })) left.push(p);
    expect(left).toEqual([]);
  });
});

describe('overlapping subscriptions', () => {
  it('a message matching a/# and a/b arrives once', async () => {
    const { client, got } = await operator('overlap-same');
    await client.subscribeAsync({ 'alicia/test/#': { qos: 1 }, 'alicia/test/b': { qos: 1 } });
    for (const qos of [0, 1] as const) await tb.broker.publish('alicia/test/b', `q${qos}`, { qos });
    await tb.broker.publish('alicia/test/end', 'end', { qos: 1 });
    await waitFor(() => got.some((g) => g.topic === 'alicia/test/end'), 'the sentinel');
    expect(got).toEqual([
      { topic: 'alicia/test/b', payload: 'q0', qos: 0, retain: false },
      { topic: 'alicia/test/b', payload: 'q1', qos: 1, retain: false },
      { topic: 'alicia/test/end', payload: 'end', qos: 1, retain: false },
    ]);
  });

  it('a QoS 1 message matching a QoS 0 and a QoS 1 subscription arrives once, at QoS 1, whichever was made first', async () => {
    // two wildcards: Aedes caps a message's QoS by a subscription to exactly its topic, whatever the others grant
    for (const [first, second] of [
      ['alicia/over/+', 'alicia/over/#'],
      ['alicia/over/#', 'alicia/over/+'],
    ] as const) {
      const { client, got } = await operator(`overlap-qos-${first.endsWith('+') ? 'plus' : 'hash'}`);
      await client.subscribeAsync(first, { qos: 0 });
      await client.subscribeAsync(second, { qos: 1 });
      await tb.broker.publish('alicia/over/b', 'x', { qos: 1 });
      await tb.broker.publish('alicia/over/end', 'end', { qos: 1 });
      await waitFor(() => got.some((g) => g.topic === 'alicia/over/end'), 'the sentinel');
      expect(got, `${first} at QoS 0, then ${second} at QoS 1`).toEqual([
        { topic: 'alicia/over/b', payload: 'x', qos: 1, retain: false },
        { topic: 'alicia/over/end', payload: 'end', qos: 1, retain: false },
      ]);
    }
  });
});

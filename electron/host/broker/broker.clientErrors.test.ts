import type { MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientById } from './aedesInternals.js';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

/**
 * Which client errors reach the log as warnings: a client that misbehaves while connected does; the
 * tail of a connection that has already ended (a message routed to a subscriber that just left, a
 * connection the broker closes in its own stop) does not, so a clean shutdown leaves a quiet log.
 */

let tb: TestBroker | null = null;
const open: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  await tb?.stop();
  tb = null;
});

async function operator(b: TestBroker, clientId: string, url = b.url): Promise<MqttClient> {
  const c = await connectClient(url, { ...b.credentials.operator, clientId });
  open.push(c);
  return c;
}

const serverClient = (b: TestBroker, id: string) => clientById(b.broker.aedes, id);

const warnings = (b: TestBroker) => b.logs.filter((l) => l.level === 'warn' || l.level === 'error');

describe('broker client errors', () => {
  it('a client that breaks the protocol while connected is logged as a warning', async () => {
    tb = await startTestBroker();
    const c = await operator(tb, 'breaks-protocol');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    // packet type 0 is reserved (MQTT 3.1.1 §2.2.1): the broker's parser fails and drops the client
    (c.stream as unknown as Socket).write(Buffer.from([0x00, 0x00]));
    await closed;
    await waitFor(() => warnings(tb!).length > 0, 'a warning');
    expect(warnings(tb)).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'client disconnected on error',
        fields: expect.objectContaining({ clientId: 'breaks-protocol' }),
      }),
    ]);
  });

  it('a message routed to a subscriber that has just disconnected is not a warning', async () => {
    tb = await startTestBroker();
    const sub = await operator(tb, 'leaves');
    await sub.subscribeAsync('alicia/broadcast/#', { qos: 0 });
    const gone = serverClient(tb, 'leaves')!;
    await sub.endAsync();
    await waitFor(() => gone.closed && !gone.connected, 'the broker side of the connection to close');
    // what Aedes does for a message it matched to this subscriber just before it left (aedes lib/write.js)
    const err = await new Promise<Error | undefined>((r) =>
      gone.publish({ cmd: 'publish', topic: 'alicia/broadcast/late', payload: Buffer.from('{}'), qos: 0, retain: false, dup: false }, r),
    );
    expect(err).toBeUndefined();
    await waitFor(() => tb!.logs.some((l) => l.msg === 'error on a closed client connection'), 'the error to be seen');
    expect(tb.logs.find((l) => l.msg === 'error on a closed client connection')).toMatchObject({
      level: 'debug',
      fields: { clientId: 'leaves', error: 'connection closed' },
    });
    expect(warnings(tb)).toEqual([]);
  });

  it('stopping the broker with clients connected and messages in flight logs no warning', async () => {
    tb = await startTestBroker();
    const b = tb;
    const tcp = await operator(b, 'tcp-sub');
    const ws = await operator(b, 'ws-sub', b.wsUrl);
    await Promise.all([tcp.subscribeAsync('alicia/broadcast/#', { qos: 1 }), ws.subscribeAsync('alicia/broadcast/#', { qos: 0 })]);
    const closed = Promise.all([tcp, ws].map((c) => new Promise<void>((r) => c.once('close', () => r()))));
    const payload = Buffer.alloc(2048, 0x61);
    for (let i = 0; i < 2000; i++)
      void b.broker.publish(`alicia/broadcast/${i % 10}`, payload, { qos: i % 2 === 0 ? 0 : 1 }).catch(() => undefined);
    await b.broker.stop();
    await closed;
    // the connections it closed do report errors (deliveries cut off, reported a turn later), just not as warnings
    await waitFor(() => b.logs.some((l) => l.msg === 'error on a closed client connection'), 'errors of the closed connections');
    expect(warnings(b)).toEqual([]);
    expect(b.logs.some((l) => l.level === 'info' && l.msg === 'broker stopped')).toBe(true);
  });
});

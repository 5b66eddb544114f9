import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKED_VERSIONS,
  PACKET_TOO_LARGE,
  PublishDropFilter,
  RELIANCES,
  beforeHandling,
  clientById,
  connectedClientList,
  deliverDirect,
  dropNumberCache,
  guardPacketSize,
  hasSubscription,
  markRedeliveries,
  onParserError,
  refusePacket,
  wrapDelivery,
  publisherIdOf,
  sessionStore,
  subscriptionCount,
  subscriptionQos,
  subscriptionsOf,
  takeBack,
} from './aedesInternals.js';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { RawClient, connect, pingreq, publish, subscribe } from './testing/rawMqtt.js';

/**
 * The library-patch file's pin: on another Aedes (or its parser or persistence) every reliance must
 * be re-checked by hand, and each probe below fails naming the one that moved.
 */

/** The installed version of a package as Aedes resolves it (its own nested copy first). */
function installedVersion(name: keyof typeof CHECKED_VERSIONS): string {
  const fromHere = createRequire(import.meta.url);
  const aedesMain = fromHere.resolve('aedes');
  const main = name === 'aedes' ? aedesMain : createRequire(aedesMain).resolve(name);
  // walk up from the package's entry file to its package.json (aedes exports no ./package.json)
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level: go up
    }
  }
  throw new Error(`cannot find the package.json of ${name}`);
}

const moved = (what: keyof typeof RELIANCES) => `Aedes internal moved: ${RELIANCES[what]} (electron/host/broker/aedesInternals.ts)`;

describe('pinned library versions', () => {
  it.each(Object.keys(CHECKED_VERSIONS) as (keyof typeof CHECKED_VERSIONS)[])(
    '%s is the version aedesInternals.ts was checked against',
    (name) => {
      const list = Object.entries(RELIANCES)
        .map(([k, v]) => `  - ${k}: ${v}`)
        .join('\n');
      expect(
        installedVersion(name),
        `${name} ${installedVersion(name)} is installed, electron/host/broker/aedesInternals.ts was checked against ${CHECKED_VERSIONS[name]}. ` +
          `Re-check each of these in the new source, then update CHECKED_VERSIONS:\n${list}\n`,
      ).toBe(CHECKED_VERSIONS[name]);
    },
  );
});

describe('each reliance, probed on a plain Aedes', () => {
  const LIMIT = 1024;
  const filter = new PublishDropFilter();
  const seen: { topic: string; publisher: string | undefined }[] = [];
  const errors: { id: string; message: string }[] = [];
  let broker: Aedes;
  let server: Server;
  let url: string;
  const guarded: boolean[] = [];
  const hooked: boolean[] = [];
  const parserErrors: { message: string; cmd: string | undefined }[] = [];
  let redeliveriesMarked = false;
  let refuseNextPing = false;
  const pubacks: { id: string; messageId: number | undefined }[] = [];
  const open: MqttClient[] = [];

  beforeAll(async () => {
    // as the host's broker does, before anything in this process writes a packet
    dropNumberCache();
    broker = await Aedes.createBroker({
      authorizePublish: (_client, packet, done) => {
        if (packet.topic.startsWith('drop/')) filter.drop(packet);
        done(null);
      },
    });
    filter.install(broker);
    redeliveriesMarked = markRedeliveries(broker);
    for (const event of ['clientError', 'connectionError'] as const) {
      broker.on(event, (client, err) => errors.push({ id: client.id, message: err.message }));
    }
    await new Promise<void>((res) =>
      broker.subscribe(
        '#',
        (packet: AedesPublishPacket, cb: () => void) => {
          if (!packet.topic.startsWith('$SYS')) seen.push({ topic: packet.topic, publisher: publisherIdOf(packet) });
          cb();
        },
        () => res(),
      ),
    );
    server = createServer((socket) => {
      const c = broker.handle(socket);
      guarded.push(guardPacketSize(c, LIMIT));
      hooked.push(
        beforeHandling(c, (p) => {
          const x = p as { cmd?: string; messageId?: number; subscriptions?: { topic: string; qos: number }[] };
          if (x.cmd === 'subscribe') for (const sub of x.subscriptions ?? []) if (sub.topic.startsWith('capped/')) sub.qos = 0;
          if (x.cmd === 'puback') pubacks.push({ id: c.id, messageId: x.messageId });
          if (x.cmd === 'pingreq' && refuseNextPing) refusePacket(p);
        }),
        onParserError(c, (err, cmd) => {
          parserErrors.push({ message: err.message, cmd });
          return false;
        }),
        // deliveries on low/... go at QoS 0 at most
        wrapDelivery(c, (topic, qos) => (topic.startsWith('low/') ? 0 : qos)),
      );
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
    await new Promise<void>((res) => broker.close(() => res()));
    await new Promise<void>((res) => server.close(() => res()));
  });

  async function queued(id: string): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const p of sessionStore(broker).outgoingStream({ id })) out.push(p);
    return out;
  }

  async function client(clientId: string, clean = true): Promise<MqttClient> {
    const c = await connectClient(url, { clientId, clean });
    open.push(c);
    return c;
  }

  it('clients: looked up by id, listed, gone after disconnect', async () => {
    const c = await client('probe-clients');
    const found: Client | undefined = clientById(broker, 'probe-clients');
    expect(found?.id, moved('clients')).toBe('probe-clients');
    expect(
      connectedClientList(broker).map((x) => x.id),
      moved('clients'),
    ).toContain('probe-clients');
    await c.endAsync();
    await waitFor(() => clientById(broker, 'probe-clients') === undefined, moved('clients'));
  });

  it('subscriptions: counted, looked up by filter, with their granted QoS', async () => {
    const c = await client('probe-subs');
    await c.subscribeAsync({ 'a/+': { qos: 1 }, 'b/#': { qos: 0 } });
    const server = clientById(broker, 'probe-subs')!;
    expect(subscriptionCount(server), moved('subscriptions')).toBe(2);
    expect(hasSubscription(server, 'a/+'), moved('subscriptions')).toBe(true);
    expect(hasSubscription(server, 'c'), moved('subscriptions')).toBe(false);
    expect(subscriptionQos(server, 'a/+'), moved('subscriptions')).toBe(1);
    expect(subscriptionQos(server, 'c'), moved('subscriptions')).toBeUndefined();
    expect(subscriptionsOf(server), moved('subscriptions')).toEqual([
      { topic: 'a/+', qos: 1 },
      { topic: 'b/#', qos: 0 },
    ]);
  });

  it('parser: a listener put before Aedes amends a SUBSCRIBE before it is handled', async () => {
    const c = await client('probe-before');
    expect(hooked.at(-1), moved('parser')).toBe(true);
    const granted = await c.subscribeAsync({ 'capped/x': { qos: 1 }, 'free/x': { qos: 1 } });
    expect(
      granted.map((g) => g.qos),
      moved('parser'),
    ).toEqual([0, 1]);
  });

  it('counter, messageIds, directDelivery, puback: one message to one client, written with the id its PUBACK brings back', async () => {
    for (const clean of [true, false]) {
      const id = `probe-direct-${clean ? 'clean' : 'kept'}`;
      const c = await client(id, clean);
      const got: { topic: string; qos: number; messageId?: number; retain: boolean }[] = [];
      c.on('message', (topic, _p, packet) => got.push({ topic, qos: packet.qos, messageId: packet.messageId, retain: packet.retain }));
      const server = clientById(broker, id)!;
      // ready: Aedes empties the session's queue between the CONNACK and 'clientReady' (and for a
      // clean session discards what it finds there), so nothing is delivered directly before it
      await waitFor(() => server.connected, 'the client to be ready');
      const counter = (broker as unknown as { counter: number }).counter;
      const d = deliverDirect(broker, server, { topic: 'direct/1', payload: Buffer.from('x'), qos: 1 }, (e) => {
        throw e;
      })!;
      expect(d.counter, moved('counter')).toBe(counter + 1);
      expect(d.inSession).toBe(!clean);
      await waitFor(() => pubacks.some((a) => a.id === id), `${moved('parser')} (${id}'s PUBACK)`);
      expect(got, moved('directDelivery')).toEqual([{ topic: 'direct/1', qos: 1, messageId: d.messageId, retain: false }]);
      expect(
        pubacks.filter((a) => a.id === id),
        moved('messageIds'),
      ).toEqual([{ id, messageId: d.messageId }]);
      // acknowledged: nothing left in the session, nothing to take back from a persistent one
      expect(await queued(id), moved('puback')).toEqual([]);
      expect(await takeBack(broker, { id }, d), moved('puback')).toBe(clean);
      // QoS 0: written at once, nothing kept
      expect(deliverDirect(broker, server, { topic: 'direct/2', payload: Buffer.from('y'), qos: 0 }, () => undefined)).toBeNull();
      await waitFor(() => got.length === 2, moved('directDelivery'));
      expect(got[1], moved('directDelivery')).toEqual({ topic: 'direct/2', qos: 0, messageId: undefined, retain: false });
    }
  });

  it('directDelivery: a delivery the client never acknowledged is taken back out of its session', async () => {
    const { port } = new URL(url);
    const { client: raw } = await RawClient.connected(`mqtt://127.0.0.1:${port}`, { clientId: 'probe-raw', clean: false });
    try {
      raw.send(subscribe(1, [{ topic: 'unrelated', qos: 1 }])); // a session to keep
      await raw.nextOf('suback');
      const server = clientById(broker, 'probe-raw')!;
      await waitFor(() => server.connected, 'the client to be ready');
      const d = deliverDirect(broker, server, { topic: 'direct/raw', payload: Buffer.from('z'), qos: 1 }, () => undefined)!;
      const p = await raw.nextOf('publish');
      expect(p.messageId, moved('messageIds')).toBe(d.messageId);
      expect(await queued('probe-raw'), moved('directDelivery')).toHaveLength(1);
      expect(await takeBack(broker, { id: 'probe-raw' }, d), moved('persistence')).toBe(true);
      expect(await queued('probe-raw'), moved('persistence')).toEqual([]);
    } finally {
      raw.destroy();
    }
  });

  it('publisherId and publishEntry: routed packets name their publisher; dropped ones are acked, not routed', async () => {
    const c = await client('probe-pub');
    for (const qos of [0, 1, 2] as const) await c.publishAsync(`drop/q${qos}`, 'x', { qos, retain: true });
    await c.publishAsync('keep/me', 'y', { qos: 1 });
    await waitFor(() => seen.some((s) => s.topic === 'keep/me'), 'keep/me');
    expect(seen, moved('publishEntry')).toEqual([{ topic: 'keep/me', publisher: 'probe-pub' }]);
    expect(c.connected, moved('publishEntry')).toBe(true);
    // nothing dropped was stored as retained either: the retained sentinel (kept: only drop/... is
    // dropped) was stored after them, and a new subscriber gets retained messages in that order
    await c.publishAsync('drop', 'sentinel', { qos: 1, retain: true });
    const late = await client('probe-late');
    const got: string[] = [];
    late.on('message', (t) => got.push(t));
    await late.subscribeAsync('drop/#');
    await waitFor(() => got.includes('drop'), 'the retained sentinel');
    expect(got, moved('publishEntry')).toEqual(['drop']);
    expect(publisherIdOf({ topic: 'x' }), moved('publisherId')).toBeUndefined();
  });

  it('persistence: the session store holds what an offline persistent session was sent', async () => {
    const c = await client('probe-session', false);
    await c.subscribeAsync('queued/#', { qos: 1 });
    await c.endAsync();
    await waitFor(() => clientById(broker, 'probe-session') === undefined, 'probe-session to be offline');
    await new Promise<void>((res) =>
      broker.publish({ cmd: 'publish', topic: 'queued/1', payload: Buffer.from('q'), qos: 1, retain: false, dup: false }, () => res()),
    );
    const store = sessionStore(broker);
    for (const m of ['cleanSubscriptions', 'outgoingStream', 'outgoingClearMessageId', 'cleanIncoming'] as const) {
      expect(typeof store[m], moved('persistence')).toBe('function');
    }
    const queued: unknown[] = [];
    for await (const p of store.outgoingStream({ id: 'probe-session' })) queued.push(p);
    expect(queued, moved('persistence')).toHaveLength(1);
    await store.outgoingClearMessageId({ id: 'probe-session' }, queued[0]);
    const left: unknown[] = [];
    for await (const p of store.outgoingStream({ id: 'probe-session' })) left.push(p);
    expect(left, moved('persistence')).toEqual([]);
  });

  it('parser: a parse error is handed over with the kind of packet it was in', async () => {
    const { port } = new URL(url);
    const raw = await RawClient.open(`mqtt://127.0.0.1:${port}`);
    raw.send(connect({ clientId: 'probe-level', protocolLevel: 6 }));
    await raw.untilClosed();
    expect(parserErrors, moved('parser')).toContainEqual({ message: 'Invalid protocol version', cmd: 'connect' });
  });

  it('handle: a packet whose cmd Aedes does not know closes the connection', async () => {
    const { port } = new URL(url);
    const { client: raw } = await RawClient.connected(`mqtt://127.0.0.1:${port}`, { clientId: 'probe-refuse' });
    raw.send(pingreq());
    expect((await raw.next()).cmd).toBe('pingresp');
    refuseNextPing = true;
    raw.send(pingreq());
    expect(await raw.untilClosed(), moved('handle')).toEqual([]);
    refuseNextPing = false;
  });

  it('redelivery: a stored message resent on reconnect carries DUP 1, one first sent from the store DUP 0', async () => {
    expect(redeliveriesMarked, moved('redelivery')).toBe(true);
    const { port } = new URL(url);
    const target = `mqtt://127.0.0.1:${port}`;
    const { client: a } = await RawClient.connected(target, { clientId: 'probe-dup', clean: false });
    a.send(subscribe(1, [{ topic: 'redo/x', qos: 1 }]));
    await a.nextOf('suback');
    const p = await client('probe-dup-pub');
    await p.publishAsync('redo/x', 'first', { qos: 1 });
    await a.nextOf('publish');
    a.destroy();
    await waitFor(() => clientById(broker, 'probe-dup') === undefined, 'probe-dup offline');
    await p.publishAsync('redo/x', 'second', { qos: 1 });
    const { client: b } = await RawClient.connected(target, { clientId: 'probe-dup', clean: false });
    const again = [await b.nextOf('publish'), await b.nextOf('publish')];
    expect(
      again.map((x) => [x.payload.toString(), x.dup]),
      moved('redelivery'),
    ).toEqual([
      ['first', true],
      ['second', false],
    ]);
    b.destroy();
  });

  it('delivery: the QoS chosen per client applies to what its subscriptions deliver', async () => {
    const { port } = new URL(url);
    const { client: a } = await RawClient.connected(`mqtt://127.0.0.1:${port}`, { clientId: 'probe-qos' });
    a.send(
      subscribe(1, [
        { topic: 'low/x', qos: 1 },
        { topic: 'high/x', qos: 1 },
      ]),
    );
    await a.nextOf('suback');
    a.send(
      publish({ topic: 'low/x', payload: 'l', qos: 1, messageId: 2 }),
      publish({ topic: 'high/x', payload: 'h', qos: 1, messageId: 3 }),
    );
    const got = [await a.nextOf('publish'), await a.nextOf('publish')].map((x) => [x.topic, x.qos]).sort();
    expect(got, moved('delivery')).toEqual([
      ['high/x', 1],
      ['low/x', 0],
    ]);
    a.destroy();
  });

  it('dedupe: a message overtaken by a later one arrives, one matching two subscriptions arrives once', async () => {
    const c = await client('probe-dedupe');
    const got: string[] = [];
    c.on('message', (topic, _p, packet) => {
      if (!packet.retain) got.push(topic);
    });
    await c.subscribeAsync({ 'dd/#': { qos: 1 }, 'dd/state': { qos: 1 }, 'dd/beat': { qos: 0 } });
    const publish = (topic: string, qos: 0 | 1, retain: boolean) =>
      new Promise<void>((res, rej) =>
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from('x'), qos, retain, dup: false }, (e) => (e ? rej(e) : res())),
      );
    // the retained QoS 1 message waits for the persistence; the QoS 0 one, numbered after it, goes first
    await Promise.all([publish('dd/state', 1, true), publish('dd/beat', 0, false), publish('dd/end', 1, true)]);
    await waitFor(() => got.includes('dd/end'), moved('dedupe'));
    expect(got.sort(), moved('dedupe')).toEqual(['dd/beat', 'dd/end', 'dd/state']);
  });

  it('parser: a packet over the limit closes that client as soon as its header arrives', async () => {
    const c = await client('probe-big');
    expect(guarded.at(-1), moved('parser')).toBe(true);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('big', Buffer.alloc(LIMIT * 64, 0x61), { qos: 0 });
    await closed;
    expect(errors.find((e) => e.id === 'probe-big')?.message ?? '', moved('parser')).toMatch(new RegExp(`^${PACKET_TOO_LARGE}`));
    expect(seen.some((s) => s.topic === 'big')).toBe(false);
  });

  it('numberCache: QoS 1 packets both ways leave the packet-identifier cache empty', async () => {
    const c = await client('probe-numbers');
    await c.subscribeAsync('numbers/x', { qos: 1 });
    const got = new Promise<void>((res) => c.once('message', () => res()));
    await c.publishAsync('numbers/x', 'n', { qos: 1 });
    await got;
    const numbers = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet/numbers.js') as { cache: object };
    expect(Object.keys(numbers.cache), moved('numberCache')).toHaveLength(0);
  });
});

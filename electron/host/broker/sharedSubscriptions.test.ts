import { spawn, type ChildProcess } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedFilter } from '../../../services/lib/protocol/sharedSubscription.js';
import { collect, connectClient, roundTrip, waitFor } from './testing/mqttClient.js';
import { RawClient, puback, subscribe, type ServerPacket } from './testing/rawMqtt.js';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from './testing/testBroker.js';

/**
 * Shared subscriptions ($share/<group>/<filter>) in the embedded broker, with real clients: mqtt.js
 * members, raw members that withhold or send PUBACKs exactly when told (testing/rawMqtt.ts), and
 * Debian's mosquitto_sub as a third-party MQTT 3.1.1 member.
 */

let tb: TestBroker;
const open: MqttClient[] = [];
const raws: RawClient[] = [];

async function client(b: TestBroker, clientId: string, extra: Record<string, unknown> = {}): Promise<MqttClient> {
  const c = await connectClient(b.url, { ...b.credentials.operator, clientId, ...extra });
  open.push(c);
  return c;
}

/** A raw operator connection that subscribes to `filter` and acknowledges nothing by itself. */
async function rawMember(b: TestBroker, clientId: string, filter: string, clean = true): Promise<RawClient> {
  const { client: r } = await RawClient.connected(b.url, { clientId, clean, ...b.credentials.operator });
  raws.push(r);
  r.send(subscribe(1, [{ topic: filter, qos: 1 }]));
  const ack = await r.nextOf('suback');
  expect(ack.granted).toEqual([1]);
  return r;
}

/** Read `n` PUBLISHes from a raw member. */
async function take(r: RawClient, n: number): Promise<(ServerPacket & { cmd: 'publish' })[]> {
  const out: (ServerPacket & { cmd: 'publish' })[] = [];
  while (out.length < n) out.push(await r.nextOf('publish'));
  return out;
}

function inflightOf(b: TestBroker, group: string, clientId: string): number | undefined {
  return b.broker
    .sharedGroups()
    .find((g) => g.group === group)
    ?.members.find((m) => m.clientId === clientId)?.inflight;
}

const queuedIn = (b: TestBroker, group: string) => b.broker.sharedGroups().find((g) => g.group === group)?.queued;

function onlineMembers(b: TestBroker, group: string): number {
  return (
    b.broker
      .sharedGroups()
      .find((g) => g.group === group)
      ?.members.filter((m) => m.online).length ?? 0
  );
}

const payloads = (msgs: { payload: string }[]) => msgs.map((m) => m.payload);

async function publishAll(pub: MqttClient, topic: string, from: number, to: number, qos: 0 | 1 = 1): Promise<void> {
  for (let i = from; i < to; i++) await pub.publishAsync(topic, String(i), { qos });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));
const sorted = (xs: string[]) => [...xs].sort((a, b) => Number(a) - Number(b));

async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  for (const r of raws.splice(0)) r.destroy();
}

describe('shared subscriptions', () => {
  beforeAll(async () => {
    tb = await startTestBroker();
  });
  afterEach(closeAll);
  afterAll(async () => {
    await tb.stop();
  });

  it('each message goes to one member of the group, round robin', async () => {
    const [a, b] = [await client(tb, 'rr-a'), await client(tb, 'rr-b')];
    const [gotA, gotB] = [collect(a), collect(b)];
    await a.subscribeAsync(sharedFilter('rr', 'jobs/+'), { qos: 1 });
    await b.subscribeAsync(sharedFilter('rr', 'jobs/+'), { qos: 1 });
    const pub = await client(tb, 'rr-pub');
    await publishAll(pub, 'jobs/x', 0, 20);
    await waitFor(() => gotA.length + gotB.length === 20, 'all 20 messages');
    // both idle (windows never full): strictly alternating
    expect([gotA.length, gotB.length]).toEqual([10, 10]);
    expect(sorted([...payloads(gotA), ...payloads(gotB)])).toEqual(range(0, 20));
    expect(gotA.every((m) => m.topic === 'jobs/x' && !m.retain)).toBe(true);
  });

  it('a plain subscriber beside the group gets every message, the group one copy of each', async () => {
    const [a, b, plain] = [await client(tb, 'mix-a'), await client(tb, 'mix-b'), await client(tb, 'mix-plain')];
    const [gotA, gotB, gotPlain] = [collect(a), collect(b), collect(plain)];
    await a.subscribeAsync(sharedFilter('mix', 'mix/+'), { qos: 1 });
    await b.subscribeAsync(sharedFilter('mix', 'mix/+'), { qos: 1 });
    await plain.subscribeAsync('mix/+', { qos: 1 });
    await publishAll(await client(tb, 'mix-pub'), 'mix/x', 0, 10);
    await waitFor(() => gotPlain.length === 10 && gotA.length + gotB.length === 10, 'every copy');
    expect(sorted(payloads(gotPlain))).toEqual(range(0, 10));
    expect(sorted([...payloads(gotA), ...payloads(gotB)])).toEqual(range(0, 10));
  });

  it('the same client in two groups gets one copy per group', async () => {
    const [c, d] = [await client(tb, 'two-c'), await client(tb, 'two-d')];
    const [gotC, gotD] = [collect(c), collect(d)];
    await c.subscribeAsync([sharedFilter('two1', 'two/+'), sharedFilter('two2', 'two/+')], { qos: 1 });
    await d.subscribeAsync(sharedFilter('two1', 'two/+'), { qos: 1 });
    await publishAll(await client(tb, 'two-pub'), 'two/x', 0, 10);
    // c: every message through two2, every other one through two1; d: the rest of two1
    await waitFor(() => gotC.length === 15 && gotD.length === 5, 'c 15 and d 5');
    const counts = new Map<string, number>();
    for (const p of payloads(gotC)) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.keys()].length).toBe(10);
    expect(sorted([...payloads(gotD), ...[...counts].filter(([, n]) => n === 2).map(([p]) => p)])).toEqual(range(0, 10));
  });

  it('retained messages are not sent to a shared subscription; a retained publish arrives with RETAIN 0', async () => {
    const pub = await client(tb, 'ret-pub');
    await pub.publishAsync('ret/t', 'stored', { qos: 1, retain: true });
    // the retained message is there: a plain subscription gets it
    const plain = await client(tb, 'ret-plain');
    const gotPlain = collect(plain);
    await plain.subscribeAsync('ret/t', { qos: 1 });
    await waitFor(() => gotPlain.length === 1, 'the retained message on the plain subscription');
    expect(gotPlain[0]).toEqual({ topic: 'ret/t', payload: 'stored', retain: true });

    const member = await client(tb, 'ret-member');
    const got = collect(member);
    await member.subscribeAsync(sharedFilter('ret', 'ret/t'), { qos: 1 });
    // sentinel: a new retained publish after the SUBACK is the first thing the member sees
    await pub.publishAsync('ret/t', 'live', { qos: 1, retain: true });
    await waitFor(() => got.length >= 1, 'the live message');
    expect(got).toEqual([{ topic: 'ret/t', payload: 'live', retain: false }]);
    await pub.publishAsync('ret/t', '', { qos: 1, retain: true });
  });

  it('the ACL checks the filter inside: $share/g/alicia/voice/stt/request is allowed exactly when the plain filter is', async () => {
    const stt = await connectClient(tb.url, { ...tb.credentials.stt, clientId: 'acl-stt' });
    open.push(stt);
    const got = collect(stt);
    const granted = await stt.subscribeAsync(sharedFilter('stt', 'alicia/voice/stt/request'), { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    await expect(
      stt.subscribeAsync([sharedFilter('stt', 'alicia/ai/request'), sharedFilter('stt', 'alicia/#'), sharedFilter('stt', '#')], { qos: 1 }),
    ).rejects.toMatchObject({ packet: { granted: [128, 128, 128] } });
    expect(
      tb.logs.filter((l) => l.msg === 'subscribe denied' && l.fields?.clientId === 'acl-stt' && l.fields.reason === 'not allowed by ACL'),
    ).toHaveLength(3);
    const router = await connectClient(tb.url, { ...tb.credentials['voice-router'], clientId: 'acl-router' });
    open.push(router);
    await router.publishAsync('alicia/ai/request', '{}', { qos: 1 });
    await router.publishAsync('alicia/voice/stt/request', '{"n":1}', { qos: 1 });
    // the stt request, published after the ai request by the same client, is the sentinel
    await waitFor(() => got.length >= 1, 'the stt request');
    expect(got.map((m) => m.topic)).toEqual(['alicia/voice/stt/request']);
  });

  it('invalid share names are refused with SUBACK 0x80 and the client stays connected', async () => {
    const c = await client(tb, 'bad-names');
    // (a share name that is no valid MQTT filter level either, `$share/g+/x`, closes the connection
    // as any malformed filter does [MQTT-4.7.1-3]: conformance/subscribe.test.ts)
    const bad = ['$share//jobs/x', '$share/+/jobs/x', '$share/#', '$share/g', '$share/g/'];
    await expect(c.subscribeAsync(bad, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128, 128, 128, 128, 128] } });
    await roundTrip(c, 'bad/names');
    expect(c.connected).toBe(true);
    expect(tb.logs.filter((l) => l.msg === 'subscribe denied' && l.fields?.clientId === 'bad-names')).toHaveLength(5);
    expect(tb.broker.sharedGroups().some((g) => g.filter.startsWith('jobs') && g.members.some((m) => m.clientId === 'bad-names'))).toBe(
      false,
    );
  });

  it('a shared subscription asking for QoS 2 is granted QoS 1', async () => {
    const c = await client(tb, 'qos2');
    const granted = await c.subscribeAsync(sharedFilter('q2', 'q2/x'), { qos: 2 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    const got: { qos: number }[] = [];
    c.on('message', (_t, _p, packet) => got.push({ qos: packet.qos }));
    await (await client(tb, 'qos2-pub')).publishAsync('q2/x', 'x', { qos: 2 });
    await waitFor(() => got.length === 1, 'the message');
    expect(got).toEqual([{ qos: 1 }]);
  });

  it('after UNSUBSCRIBE a member gets nothing more and the others get everything', async () => {
    const [a, b] = [await client(tb, 'un-a'), await client(tb, 'un-b')];
    const [gotA, gotB] = [collect(a), collect(b)];
    await a.subscribeAsync(sharedFilter('un', 'un/x'), { qos: 1 });
    await b.subscribeAsync(sharedFilter('un', 'un/x'), { qos: 1 });
    await a.unsubscribeAsync(sharedFilter('un', 'un/x'));
    await publishAll(await client(tb, 'un-pub'), 'un/x', 0, 6);
    await waitFor(() => gotB.length === 6, 'all six on b');
    expect(gotA).toEqual([]);
    expect(
      tb.broker
        .sharedGroups()
        .find((g) => g.group === 'un')
        ?.members.map((m) => m.clientId),
    ).toEqual(['un-b']);
  });

  it('a member killed with QoS 1 messages in flight: what it acknowledged never comes again, the rest goes to another member', async () => {
    const filter = sharedFilter('kill', 'kill/x');
    const raw = await rawMember(tb, 'kill-raw', filter);
    const other = await client(tb, 'kill-other');
    const gotOther = collect(other);
    await other.subscribeAsync(filter, { qos: 1 });
    const pub = await client(tb, 'kill-pub');
    await publishAll(pub, 'kill/x', 0, 10);
    // round robin: the raw member (first to join) gets 0, 2, 4, 6, 8 and acknowledges none yet
    const inFlight = await take(raw, 5);
    expect(inFlight.map((p) => p.payload.toString())).toEqual(['0', '2', '4', '6', '8']);
    await waitFor(() => gotOther.length === 5, 'the other half');
    // it acknowledges two of them, then dies (a kill -9: the socket is reset)
    raw.send(puback(inFlight[0]!.messageId!), puback(inFlight[3]!.messageId!));
    await waitFor(() => inflightOf(tb, 'kill', 'kill-raw') === 3, 'the two acknowledgements to be handled');
    raw.socket.resetAndDestroy();
    await waitFor(() => gotOther.length === 8, 'the three unacknowledged messages on the other member');
    // sentinel: one more message, which can only go to the member left
    await pub.publishAsync('kill/x', 'sentinel', { qos: 1 });
    await waitFor(() => gotOther.some((m) => m.payload === 'sentinel'), 'the sentinel');
    const received = payloads(gotOther).filter((p) => p !== 'sentinel');
    expect(sorted(received)).toEqual(['1', '2', '3', '4', '5', '7', '8', '9']);
    expect(received).not.toContain('0');
    expect(received).not.toContain('6');
  });

  it('a persistent member that acknowledges and is killed in the same instant: nothing it had comes twice, also after it reconnects', async () => {
    const filter = sharedFilter('kill2', 'kill2/x');
    const raw = await rawMember(tb, 'kill2-raw', filter, false);
    const other = await client(tb, 'kill2-other');
    const gotOther = collect(other);
    await other.subscribeAsync(filter, { qos: 1 });
    const pub = await client(tb, 'kill2-pub');
    await publishAll(pub, 'kill2/x', 0, 6);
    const inFlight = await take(raw, 3);
    await waitFor(() => gotOther.length === 3, 'the other half');
    // no waiting this time: the broker reads the PUBACKs after the reset (tcpStream.ts) and must
    // count them even though the connection is already gone when it does
    raw.send(puback(inFlight[0]!.messageId!), puback(inFlight[2]!.messageId!));
    raw.socket.resetAndDestroy();
    await waitFor(() => gotOther.length === 4, 'the one unacknowledged message on the other member');
    await pub.publishAsync('kill2/x', 'sentinel', { qos: 1 });
    await waitFor(() => gotOther.some((m) => m.payload === 'sentinel'), 'the sentinel');
    expect(sorted(payloads(gotOther).filter((p) => p !== 'sentinel'))).toEqual(['1', '2', '3', '5']);
    // back with its session: nothing taken from it is sent again; it takes its turn with new messages
    const { client: back, connack } = await RawClient.connected(tb.url, {
      clientId: 'kill2-raw',
      clean: false,
      ...tb.credentials.operator,
    });
    raws.push(back);
    expect(connack.sessionPresent).toBe(true);
    await waitFor(() => onlineMembers(tb, 'kill2') === 2, 'the member back online');
    await publishAll(pub, 'kill2/x', 10, 12);
    const next = await back.nextOf('publish');
    expect(['10', '11']).toContain(next.payload.toString());
  });

  it('an mqtt.js member killed mid-flow: nothing is lost, and only what it had not acknowledged can arrive twice', async () => {
    const filter = sharedFilter('flow', 'flow/x');
    const [a, b] = [await client(tb, 'flow-a', { clean: false }), await client(tb, 'flow-b', { clean: false })];
    const [gotA, gotB] = [collect(a), collect(b)];
    await a.subscribeAsync(filter, { qos: 1 });
    await b.subscribeAsync(filter, { qos: 1 });
    const pub = await client(tb, 'flow-pub');
    const N = 400;
    let killed = false;
    const publishing = (async () => {
      for (let i = 0; i < N; i++) {
        pub.publish('flow/x', String(i), { qos: 1 });
        if (i % 20 === 19) await new Promise((r) => setImmediate(r));
      }
    })();
    await waitFor(() => gotA.length >= 60, 'a to be in the flow');
    (a.stream as unknown as Socket).resetAndDestroy();
    killed = true;
    await publishing;
    await waitFor(() => new Set([...payloads(gotA), ...payloads(gotB)]).size === N, `all ${N} messages`, 15_000);
    expect(killed).toBe(true);
    const onA = new Set(payloads(gotA));
    const twice = payloads(gotB).filter((p) => onA.has(p));
    // at most a full window of messages a had received but whose PUBACK never reached the broker
    expect(twice.length).toBeLessThanOrEqual(20);
    expect(new Set(payloads(gotB)).size).toBe(gotB.length);
  });

  it('a persistent member keeps its shared subscription across reconnects, and with no member online QoS 1 waits for the group', async () => {
    const filter = sharedFilter('keep', 'keep/x');
    const p = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'keep-p', clean: false });
    await p.subscribeAsync(filter, { qos: 1 });
    await p.endAsync();
    await waitFor(() => onlineMembers(tb, 'keep') === 0, 'the member to be offline');
    const pub = await client(tb, 'keep-pub');
    await publishAll(pub, 'keep/x', 0, 5, 1);
    await publishAll(pub, 'keep/x', 100, 102, 0); // QoS 0 with nobody online: dropped
    await waitFor(() => queuedIn(tb, 'keep') === 5 && tb.broker.stats().shared_dropped >= 2, 'five queued, the QoS 0 ones dropped');

    // back with its session (no SUBSCRIBE): it is still a member and gets what waited, in order
    const back = await client(tb, 'keep-p', { clean: false });
    const got = collect(back);
    await waitFor(() => got.length === 5, 'the five queued messages');
    expect(payloads(got)).toEqual(['0', '1', '2', '3', '4']);
    await pub.publishAsync('keep/x', 'after', { qos: 1 });
    await waitFor(() => got.length === 6, 'a new message');
    expect(got[5]?.payload).toBe('after');
  });

  it('what waited for the group goes to whichever member comes first', async () => {
    const filter = sharedFilter('first', 'first/x');
    const p = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'first-p', clean: false });
    await p.subscribeAsync(filter, { qos: 1 });
    await p.endAsync();
    await publishAll(await client(tb, 'first-pub'), 'first/x', 0, 3);
    const n = await client(tb, 'first-n');
    const got = collect(n);
    await n.subscribeAsync(filter, { qos: 1 });
    await waitFor(() => got.length === 3, 'the queued messages on the new member');
    expect(payloads(got)).toEqual(['0', '1', '2']);
    // clean up the persistent session
    await (await client(tb, 'first-p', { clean: true })).endAsync();
  });

  it('mosquitto_sub (MQTT 3.1.1) is a member like any other', async () => {
    const filter = sharedFilter('mosq', 'mosq/x');
    const { port } = new URL(tb.url);
    const proc: ChildProcess = spawn(
      'mosquitto_sub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-V',
        'mqttv311',
        '-q',
        '1',
        '-i',
        'mosq-member',
        '-u',
        'operator',
        '-P',
        tb.credentials.operator.password,
        '-t',
        filter,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const parts = out.split('\n');
      out = parts.pop()!;
      lines.push(...parts);
    });
    try {
      const m = await client(tb, 'mosq-js');
      const got = collect(m);
      await m.subscribeAsync(filter, { qos: 1 });
      await waitFor(() => onlineMembers(tb, 'mosq') === 2, 'both members online');
      await publishAll(await client(tb, 'mosq-pub'), 'mosq/x', 0, 10);
      await waitFor(() => lines.length + got.length === 10, 'all ten messages');
      expect([lines.length, got.length]).toEqual([5, 5]);
      expect(sorted([...lines, ...payloads(got)])).toEqual(range(0, 10));
    } finally {
      proc.kill('SIGTERM');
    }
  });
});

describe('shared subscriptions: windows, queues and session expiry', () => {
  let small: TestBroker;
  const limits: TestBrokerOptions = { sharedInflightWindow: 3, sharedMaxQueued: 4, offlineSessionExpiryMs: 400 };
  beforeAll(async () => {
    small = await startTestBroker(limits);
  });
  afterEach(closeAll);
  afterAll(async () => {
    await small.stop();
  });

  it('a member whose in-flight window is full is skipped until it acknowledges', async () => {
    const filter = sharedFilter('win', 'win/x');
    const raw = await rawMember(small, 'win-raw', filter);
    const m = await client(small, 'win-js');
    const got = collect(m);
    await m.subscribeAsync(filter, { qos: 1 });
    const pub = await client(small, 'win-pub');
    await publishAll(pub, 'win/x', 0, 10);
    const first = await take(raw, 3);
    await waitFor(() => got.length === 7, 'the seven the full member could not take');
    // sentinel: another message goes to the js member too, the raw one is still full
    await pub.publishAsync('win/x', 'full', { qos: 1 });
    await waitFor(() => got.length === 8, 'the sentinel');
    expect(raw.pending()).toEqual([]);
    // acknowledged: the raw member takes turns again
    expect(first.map((p) => p.payload.toString())).toEqual(['0', '2', '4']);
    raw.send(...first.map((p) => puback(p.messageId!)));
    await waitFor(() => inflightOf(small, 'win', 'win-raw') === 0, 'the acknowledgements to be handled');
    // the last message went to the js member, so the raw one is next
    await publishAll(pub, 'win/x', 100, 104);
    const more = await take(raw, 2);
    await waitFor(() => got.length === 10, 'two more on the js member');
    expect(more.map((p) => p.payload.toString())).toEqual(['100', '102']);
    expect(payloads(got).slice(8)).toEqual(['101', '103']);
  });

  it('with no member online the group keeps the newest max_queued messages and counts the ones it drops', async () => {
    const filter = sharedFilter('q', 'q/x');
    const p = await connectClient(small.url, { ...small.credentials.operator, clientId: 'q-p', clean: false });
    await p.subscribeAsync(filter, { qos: 1 });
    await p.endAsync();
    const before = small.broker.stats().shared_dropped;
    await publishAll(await client(small, 'q-pub'), 'q/x', 0, 7);
    await waitFor(() => small.broker.stats().shared_dropped - before === 3, 'three dropped');
    expect(queuedIn(small, 'q')).toBe(4);
    const n = await client(small, 'q-n');
    const got = collect(n);
    await n.subscribeAsync(filter, { qos: 1 });
    await waitFor(() => got.length === 4, 'the four kept');
    expect(payloads(got)).toEqual(['3', '4', '5', '6']);
    await (await client(small, 'q-p', { clean: true })).endAsync();
  });

  it('the group ends with the last persistent session, when that session expires', async () => {
    const filter = sharedFilter('exp', 'exp/x');
    const p = await connectClient(small.url, { ...small.credentials.operator, clientId: 'exp-p', clean: false });
    await p.subscribeAsync(filter, { qos: 1 });
    await p.endAsync();
    const before = small.broker.stats().shared_dropped;
    await publishAll(await client(small, 'exp-pub'), 'exp/x', 0, 2);
    await waitFor(() => queuedIn(small, 'exp') === 2, 'two queued');
    await waitFor(() => small.logs.some((l) => l.msg === 'offline session expired' && l.fields?.clientId === 'exp-p'), 'the expiry');
    expect(small.broker.sharedGroups().some((g) => g.group === 'exp')).toBe(false);
    // what the group held went with it, counted
    expect(small.broker.stats().shared_dropped - before).toBe(2);
    // back after expiry: no session, so no membership either
    await client(small, 'exp-p', { clean: false });
    expect(small.broker.sharedGroups().some((g) => g.group === 'exp')).toBe(false);
  });
});

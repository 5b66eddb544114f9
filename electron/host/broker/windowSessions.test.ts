import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { collect, connectClient, roundTrip, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';
import { WindowSessions } from './windowSessions.js';

const SESSIONS = 'alicia/system/window/sessions';
const REQUEST = 'alicia/system/window/request';
const RESPONSE = 'alicia/system/window/response';
const IDLE_MS = 30 * 60_000;

let tb: TestBroker;
let sessions: WindowSessions;
let clock: number;
let watcher: MqttClient;
let seen: { topic: string; payload: string; retain: boolean }[];
const open: MqttClient[] = [];

async function asWindow(credential: { username: string; password: string }, clientId: string): Promise<MqttClient> {
  const c = await connectClient(tb.wsUrl, { ...credential, clientId });
  open.push(c);
  return c;
}

/** The last list the host published. */
function lastList(): { sessions: { id: string; connections: number; last_seen: number; kind: string; expires: boolean }[] } {
  const m = seen.filter((x) => x.topic === SESSIONS).at(-1);
  if (!m) throw new Error('no session list yet');
  return JSON.parse(m.payload) as ReturnType<typeof lastList>;
}

beforeAll(async () => {
  tb = await startTestBroker();
  watcher = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'ws-watcher' });
  seen = collect(watcher);
  await watcher.subscribeAsync([SESSIONS, RESPONSE], { qos: 1 });
});
afterAll(async () => {
  await watcher.endAsync(true);
  await tb.stop();
});
beforeEach(async () => {
  clock = 5_000_000;
  sessions = new WindowSessions({
    bus: tb.broker,
    credentials: tb.broker.credentials,
    broker: tb.broker,
    idleMs: IDLE_MS,
    now: () => clock,
    // the test sweeps by hand, with its own clock
    sweepIntervalMs: 3_600_000,
    log: createLogger('window-sessions-test', 'error'),
  });
  await sessions.start();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  await sessions.stop();
});

describe('window sessions', () => {
  it('each session gets its own broker credential with the window role; the retained list shows it connected', async () => {
    const a = sessions.open({ kind: 'browser', userAgent: 'Test Browser/1', remote: '127.0.0.1', expires: true });
    const b = sessions.open({ kind: 'app', userAgent: 'Alicia desktop', remote: 'local', expires: false });
    expect(a.credential.username).toBe(`window:${a.id}`);
    expect(b.credential.password).not.toBe(a.credential.password);
    const c = await asWindow(a.credential, 'window-a');
    // the window role: $SYS and everything else
    const granted = await c.subscribeAsync(['$SYS/#', '#'], { qos: 0 });
    expect(granted.map((g) => g.qos)).toEqual([0, 0]);
    await waitFor(() => lastList().sessions.find((s) => s.id === a.id)?.connections === 1, 'the list to show the connection');
    const list = lastList().sessions;
    expect(list.map((s) => [s.id, s.kind, s.expires])).toEqual([
      [a.id, 'browser', true],
      [b.id, 'app', false],
    ]);
    expect(list.find((s) => s.id === b.id)?.connections).toBe(0);
    // a copied credential with another session's name is nothing
    await expect(connectClient(tb.wsUrl, { username: b.credential.username, password: a.credential.password })).rejects.toMatchObject({
      code: 4,
    });
    // retained: a late subscriber gets the list; no client may publish it, the operator included
    const late = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'ws-late' });
    open.push(late);
    const lateSeen = collect(late);
    await late.subscribeAsync(SESSIONS, { qos: 1 });
    await waitFor(() => lateSeen.some((m) => m.retain), 'the retained list');
    await late.publishAsync(SESSIONS, '{"sessions":[],"idle_minutes":1}', { qos: 1, retain: true });
    await roundTrip(late, 'alicia/broadcast/sentinel');
    expect(tb.logs.some((l) => l.msg === 'publish denied (dropped)' && l.fields?.topic === SESSIONS)).toBe(true);
  });

  it('an ended session: its connections are closed and its credential gets CONNACK 5', async () => {
    const a = sessions.open({ kind: 'browser', userAgent: 'x', remote: '127.0.0.1', expires: true });
    const c = await asWindow(a.credential, 'window-ended');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    expect(sessions.end(a.id, 'ended by request')).toBe(1);
    await closed;
    await expect(connectClient(tb.wsUrl, { ...a.credential, clientId: 'window-again' })).rejects.toMatchObject({ code: 5 });
    // a wrong password for a live session is still "bad user name or password"
    const live = sessions.open({ kind: 'browser', userAgent: 'x', remote: '127.0.0.1', expires: true });
    await expect(connectClient(tb.wsUrl, { username: live.credential.username, password: 'x'.repeat(32) })).rejects.toMatchObject({
      code: 4,
    });
    expect(sessions.end(a.id, 'ended by request')).toBeNull();
  });

  it('the idle sweep ends a session without requests or connections, never one with a live connection', async () => {
    const idle = sessions.open({ kind: 'browser', userAgent: 'x', remote: '127.0.0.1', expires: true });
    const live = sessions.open({ kind: 'browser', userAgent: 'y', remote: '127.0.0.1', expires: true });
    const touched = sessions.open({ kind: 'browser', userAgent: 'z', remote: '127.0.0.1', expires: true });
    const app = sessions.open({ kind: 'app', userAgent: 'app', remote: 'local', expires: false });
    const c = await asWindow(live.credential, 'window-live');
    clock += IDLE_MS - 1000;
    expect(sessions.touch(touched.id)).toBe(true);
    sessions.sweep();
    expect([idle, live, touched, app].map((s) => sessions.has(s.id))).toEqual([true, true, true, true]);
    clock += 2000; // idle: 1 s over; touched: 1 s since its request
    sessions.sweep();
    expect([idle, live, touched, app].map((s) => sessions.has(s.id))).toEqual([false, true, true, true]);
    expect(sessions.touch(idle.id)).toBe(false);
    clock += 10 * IDLE_MS; // hours later: the open connection keeps its session; the app never expires
    sessions.sweep();
    expect([live, touched, app].map((s) => sessions.has(s.id))).toEqual([true, false, true]);
    // the window closes: the idle clock starts at its disconnect
    await c.endAsync();
    await waitFor(() => lastList().sessions.find((s) => s.id === live.id)?.connections === 0, 'the disconnect');
    clock += IDLE_MS - 1;
    sessions.sweep();
    expect(sessions.has(live.id)).toBe(true);
    clock += 1;
    sessions.sweep();
    expect(sessions.has(live.id)).toBe(false);
    await waitFor(() => lastList().sessions.length === 1, 'the list after the sweeps');
    expect(lastList().sessions.map((s) => s.id)).toEqual([app.id]);
  });

  it('answers alicia/system/window/request: the operator or a window ends a session; an unknown id and a non-window asker get coded errors', async () => {
    const victim = sessions.open({ kind: 'browser', userAgent: 'x', remote: '10.0.0.9', expires: true });
    const other = sessions.open({ kind: 'browser', userAgent: 'y', remote: '127.0.0.1', expires: true });
    const vc = await asWindow(victim.credential, 'window-victim');
    const ask = async (client: MqttClient | null, body: object) => {
      const correlation_id = `c-${Math.random()}`;
      const msg = JSON.stringify(seal(body, { source: 'test', correlation_id }));
      if (client) await client.publishAsync(REQUEST, msg, { qos: 1 });
      else await tb.broker.publish(REQUEST, msg, { qos: 1 });
      await waitFor(() => seen.some((m) => m.topic === RESPONSE && m.payload.includes(correlation_id)), 'the answer');
      return JSON.parse(seen.find((m) => m.topic === RESPONSE && m.payload.includes(correlation_id))!.payload) as Record<string, unknown>;
    };
    // another window ends it (the Health view's "End")
    const oc = await asWindow(other.credential, 'window-other');
    const closed = new Promise<void>((r) => vc.once('close', () => r()));
    expect(await ask(oc, { action: 'end', session: victim.id })).toMatchObject({
      ok: true,
      action: 'end',
      session: victim.id,
      disconnected: 1,
    });
    await closed;
    expect(sessions.has(victim.id)).toBe(false);
    expect(await ask(watcher, { action: 'end', session: victim.id })).toMatchObject({
      ok: false,
      error: { code: 'WINDOW_SESSION_UNKNOWN' },
    });
    expect(await ask(watcher, { action: 'explode', session: other.id })).toMatchObject({ ok: false, error: { code: 'SCHEMA_INVALID' } });
    // nobody but the operator and the window role: a message with no client behind it is refused too
    expect(await ask(null, { action: 'end', session: other.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(sessions.has(other.id)).toBe(true);
    // a service's ACL does not even let it publish the request
    const stt = await connectClient(tb.url, { ...tb.credentials.stt, clientId: 'ws-stt' });
    open.push(stt);
    await stt.publishAsync(REQUEST, JSON.stringify(seal({ action: 'end', session: other.id }, { source: 'stt' })), { qos: 1 });
    await roundTrip(stt, 'alicia/health/heartbeat/stt');
    expect(sessions.has(other.id)).toBe(true);
  });

  it('stop() ends every session and revokes every credential', async () => {
    const a = sessions.open({ kind: 'browser', userAgent: 'x', remote: '127.0.0.1', expires: true });
    const c = await asWindow(a.credential, 'window-stop');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await sessions.stop();
    await closed;
    expect(tb.broker.credentials.verify(a.credential.username, a.credential.password)).toBeNull();
    await waitFor(() => lastList().sessions.length === 0, 'an empty list');
  });
});

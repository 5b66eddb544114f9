import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { CLI, operatorClient, startHost, until, type HostProcess } from '../../support/host.js';
import {
  connectionInfo as askConnection,
  httpCall,
  signIn as openLink,
  type HttpOptions,
  type HttpReply,
  type WindowConnectionInfo,
  type WindowSession,
} from '../../support/windowLogin.js';

/**
 * The window's door on the headless host (docs/security.md, "Window sessions"), against the real
 * `alicia serve`: the login token, the session cookie, a broker credential per browser session
 * that dies with the session, and TLS off the loopback address. The services are off in these
 * hosts: the web server, the broker and the sessions are what is under test.
 *
 * Idle sessions end after window.session_idle_minutes; here 0.1 (6 s), so a test waits for the
 * sweep by polling the host's session list, never by sleeping a fixed time.
 */
const IDLE_MINUTES = 0.1;
const NO_SERVICES = { services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }])) };

const API_ROUTES: [method: string, path: string][] = [
  ['GET', '/api/connection'],
  ['POST', '/api/logout'],
  ['GET', '/api/no-such-route'],
];

let host: HostProcess;
let op: MqttClient;
let base: string;
let origin: string;
let list: { id: string; connections: number }[] | null = null;
const clients: MqttClient[] = [];

/** every cookie and window password handed out here: none may land in a log or the recorder's database */
const secrets = new Set<string>();

async function signIn(url: string, opts?: HttpOptions): Promise<WindowSession> {
  const s = await openLink(url, opts);
  secrets.add(s.cookie.split('=')[1]!);
  return s;
}

async function connectionInfo(b: string, s: WindowSession, opts?: HttpOptions): Promise<WindowConnectionInfo> {
  const info = await askConnection(b, s, opts);
  secrets.add(info.password);
  return info;
}

function loginUrl(): string {
  return host.runtime.http.url;
}

/** Every API route, asked with these headers; the answers by route. */
async function everyRoute(headers: Record<string, string>): Promise<[string, HttpReply][]> {
  const out: [string, HttpReply][] = [];
  for (const [method, path] of API_ROUTES) out.push([`${method} ${path}`, await httpCall(base + path.slice(1), { method, headers })]);
  return out;
}

function expectAllUnauthorized(replies: [string, HttpReply][]): void {
  for (const [route, r] of replies) {
    expect(r.status, route).toBe(401);
    expect(r.headers['content-type'], route).toBe('application/json; charset=utf-8');
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    expect(body.error.code, route).toBe('UNAUTHORIZED');
    expect(body.error.message, route).toContain('alicia serve');
    expect(r.body, route).not.toContain('password');
  }
}

/** A broker connection with a window session's credential, as the window makes it. */
function asWindow(info: WindowConnectionInfo, clientId: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return connectClient(info.ws_url, { username: info.username, password: info.password, clientId, ...extra });
}

/** An ended session: its cookie gets 401 on every API route, its credential CONNACK 5 (not authorized). */
async function expectEnded(s: WindowSession, info: WindowConnectionInfo): Promise<void> {
  expectAllUnauthorized(await everyRoute({ cookie: s.cookie, origin }));
  await expect(asWindow(info, `e2e-ended-${info.session_id}`)).rejects.toMatchObject({ code: 5 });
}

beforeAll(async () => {
  host = await startHost({ config: { ...NO_SERVICES, window: { session_idle_minutes: IDLE_MINUTES } } });
  base = new URL('/', loginUrl()).toString();
  origin = new URL(loginUrl()).origin;
  op = await operatorClient(host.runtime);
  op.on('message', (_t, payload) => {
    list = (JSON.parse(payload.toString()) as { sessions: { id: string; connections: number }[] }).sessions;
  });
  await op.subscribeAsync('alicia/system/window/sessions', { qos: 1 });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await op?.endAsync(true);
  await host?.stop();
});

describe('alicia serve: signing a browser in', () => {
  it('prints the window URL with a fresh login token, writes it to runtime.json (0600), never to a log', () => {
    const url = new URL(loginUrl());
    expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = url.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(host.stdout()).toContain(loginUrl());
    const logs = join(host.dataDir, 'logs');
    const hostLog = readFileSync(join(logs, 'host.log'), 'utf8');
    expect(hostLog).toContain(`"http":"${base}"`);
    for (const f of readdirSync(logs)) expect(readFileSync(join(logs, f), 'utf8').includes(token), f).toBe(false);
    expect(host.stderr()).not.toContain(token);
    // no static window password any more
    const creds = JSON.parse(readFileSync(join(host.dataDir, 'credentials.json'), 'utf8')) as { credentials: object };
    expect(Object.keys(creds.credentials)).not.toContain('window');
  });

  it('the link trades its token for a session cookie and redirects to the clean URL; the page and the API then answer', async () => {
    const s = await signIn(`${loginUrl()}&view=health`);
    expect(s.location).toBe('/?view=health');
    const port = new URL(base).port;
    expect(s.setCookie).toMatch(new RegExp(`^alicia_session_${port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    const page = await httpCall(base, { headers: { cookie: s.cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const info = await connectionInfo(base, s);
    expect(info.username).toBe(`window:${info.session_id}`);
    expect(info.ws_url).toBe(host.runtime.ws.url);
    // that credential is a real broker login, with the window's rights
    const c = await asWindow(info, 'e2e-window-a');
    clients.push(c);
    expect((await c.subscribeAsync('$SYS/#', { qos: 0 }))[0]!.qos).toBe(0);
    await until('the session listed as connected', () => list?.find((x) => x.id === info.session_id)?.connections === 1);
  });

  it('with no cookie, a wrong token, a logged-out session, a foreign Host or Origin, every API route refuses', async () => {
    // no cookie
    expectAllUnauthorized(await everyRoute({ origin }));
    // a wrong token: no session, whatever the route
    const wrong = `${base}?token=${'x'.repeat(43)}`;
    const page = await httpCall(wrong);
    expect(page.status).toBe(401);
    expect(page.body).toContain('Open the link printed by <code>alicia serve</code>');
    expect(page.headers['set-cookie']).toBeUndefined();
    const wrongApi = await httpCall(`${base}api/connection?token=${'x'.repeat(43)}`);
    expect(wrongApi.status).toBe(401);
    expect(JSON.parse(wrongApi.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    // a logged-out session: its cookie opens nothing, its broker credential is refused (CONNACK 5)
    const s = await signIn(loginUrl());
    const info = await connectionInfo(base, s);
    const c = await asWindow(info, 'e2e-window-out');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const out = await httpCall(`${base}api/logout`, { method: 'POST', headers: { cookie: s.cookie, origin } });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    await closed;
    await expectEnded(s, info);
    // a foreign Host (DNS rebinding), with a valid session: 421 before anything else
    const live = await signIn(loginUrl());
    const port = new URL(base).port;
    for (const [method, path] of API_ROUTES) {
      const r = await httpCall(base + path.slice(1), { method, headers: { cookie: live.cookie, host: `evil.example:${port}` } });
      expect(r.status, path).toBe(421);
      expect(r.body).toBe('Misdirected request: unknown Host\n');
    }
    // a foreign Origin, with a valid session: 403
    for (const [method, path] of API_ROUTES) {
      const r = await httpCall(base + path.slice(1), { method, headers: { cookie: live.cookie, origin: 'http://evil.example' } });
      expect(r.status, path).toBe(403);
      expect(JSON.parse(r.body)).toEqual({ error: { code: 'FORBIDDEN', message: 'foreign Origin' } });
    }
    // and the live session still works (the refusals above did not end it)
    expect((await connectionInfo(base, live)).session_id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('an idle session ends (cookie 401, credential refused); one with a live broker connection does not', async () => {
    const idle = await signIn(loginUrl());
    const busy = await signIn(loginUrl());
    const idleInfo = await connectionInfo(base, idle);
    const busyInfo = await connectionInfo(base, busy);
    const c = await asWindow(busyInfo, 'e2e-window-busy');
    clients.push(c);
    const t0 = Date.now();
    // neither makes another HTTP request from here; only the busy one holds a connection
    await until('the idle session ended by the sweep', () => list !== null && !list.some((x) => x.id === idleInfo.session_id), 60_000);
    const idleFor = Date.now() - t0;
    expect(idleFor).toBeGreaterThanOrEqual(IDLE_MINUTES * 60_000 - 1000);
    // the same sweep saw the busy one just as long without a request, and kept it
    expect(list!.find((x) => x.id === busyInfo.session_id)?.connections).toBe(1);
    await expectEnded(idle, idleInfo);
    expect((await connectionInfo(base, busy)).session_id).toBe(busyInfo.session_id);
    console.log(`[measure] idle window session ended after ${idleFor} ms (session_idle_minutes ${IDLE_MINUTES})`);
  }, 90_000);

  it('the Health view ends another session over the bus: connections closed, credential refused', async () => {
    const victim = await signIn(loginUrl());
    const asker = await signIn(loginUrl());
    const vInfo = await connectionInfo(base, victim);
    const aInfo = await connectionInfo(base, asker);
    const v = await asWindow(vInfo, 'e2e-window-victim');
    const a = await asWindow(aInfo, 'e2e-window-asker');
    clients.push(a);
    const answers: Record<string, unknown>[] = [];
    a.on('message', (_t, p) => answers.push(JSON.parse(p.toString()) as Record<string, unknown>));
    await a.subscribeAsync('alicia/system/window/response', { qos: 1 });
    const closed = new Promise<void>((r) => v.once('close', () => r()));
    await a.publishAsync(
      'alicia/system/window/request',
      JSON.stringify({ action: 'end', session: vInfo.session_id, correlation_id: 'end-1' }),
      {
        qos: 1,
      },
    );
    await waitFor(() => answers.some((x) => x.correlation_id === 'end-1'), 'the answer', 10_000);
    expect(answers.find((x) => x.correlation_id === 'end-1')).toMatchObject({ ok: true, session: vInfo.session_id, disconnected: 1 });
    await closed;
    await expectEnded(victim, vInfo);
    await a.publishAsync(
      'alicia/system/window/request',
      JSON.stringify({ action: 'end', session: vInfo.session_id, correlation_id: 'end-2' }),
      {
        qos: 1,
      },
    );
    await waitFor(() => answers.some((x) => x.correlation_id === 'end-2'), 'the second answer', 10_000);
    expect(answers.find((x) => x.correlation_id === 'end-2')).toMatchObject({ ok: false, error: { code: 'WINDOW_SESSION_UNKNOWN' } });
  });

  it('plain MQTT over TCP listens on 127.0.0.1 only', () => {
    expect(host.runtime.mqtt.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
  });

  it('no cookie, window password or login token is written anywhere but runtime.json (the token)', async () => {
    // make sure this file signed browsers in at all (any test order)
    await connectionInfo(base, await signIn(loginUrl()));
    const token = new URL(loginUrl()).searchParams.get('token')!;
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const leaks: string[] = [];
    for (const f of files(host.dataDir)) {
      const bytes = readFileSync(f);
      for (const x of secrets) if (bytes.includes(x)) leaks.push(`${f} holds a window secret`);
      if (!f.endsWith('runtime.json') && bytes.includes(token)) leaks.push(`${f} holds the login token`);
    }
    for (const x of secrets) if (host.output().includes(x)) leaks.push('the host printed a window secret');
    expect(secrets.size).toBeGreaterThanOrEqual(2);
    expect(leaks).toEqual([]);
  });
});

describe('alicia serve off the loopback address', () => {
  it('--host 127.0.0.2 without --tls is refused at startup in one line naming the flags', () => {
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'serve',
        '--data-dir',
        join(host.dataDir, 'lan-refused'),
        '--host',
        '127.0.0.2',
        '--mqtt-port',
        '0',
        '--ws-port',
        '0',
        '--http-port',
        '0',
      ],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ALICIA_DATA_DIR: '' } },
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^alicia serve: cannot start: host 127\.0\.0\.2 is reachable from the network, which needs TLS: add --tls /);
    expect(lines[0]).toContain('--host 127.0.0.1');
    expect(r.stdout).toBe('');
  });

  describe('--host 127.0.0.2 --tls', () => {
    let lan: HostProcess;
    let ca: string;
    beforeAll(async () => {
      lan = await startHost({ config: NO_SERVICES, args: ['--host', '127.0.0.2', '--tls'] });
      ca = readFileSync(join(lan.dataDir, 'lan-cert.pem'), 'utf8');
    }, 120_000);
    afterAll(async () => {
      await lan?.stop();
    });

    it('serves the window over HTTPS only, the broker over WSS, plain MQTT on 127.0.0.1 only; the fingerprint is printed', async () => {
      const rt = lan.runtime;
      const url = new URL(rt.http.url);
      expect(url.origin).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
      expect(rt.ws.url).toMatch(/^wss:\/\/127\.0\.0\.2:\d+\/mqtt$/);
      expect(rt.mqtt.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(rt.http.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(lan.stdout()).toContain(`TLS certificate (self-signed) SHA-256 fingerprint: ${rt.http.fingerprint256}`);
      // the certificate names the address it is served on
      const { X509Certificate } = await import('node:crypto');
      expect(new X509Certificate(ca).checkIP('127.0.0.2')).toBe('127.0.0.2');
      // HTTPS: sign in, cookie Secure
      const s = await signIn(rt.http.url, { ca });
      expect(s.setCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      const info = await connectionInfo(url.origin, s, { ca });
      expect(info.ws_url).toBe(rt.ws.url);
      // plain HTTP to the same port: no answer
      await expect(httpCall(`http://127.0.0.2:${url.port}/`)).rejects.toThrow();
      // WSS with the pinned certificate works; plain ws:// to the same port does not
      const c = await asWindow(info, 'e2e-wss', { ca, servername: 'localhost' });
      expect((await c.subscribeAsync('alicia/#', { qos: 0 }))[0]!.qos).toBe(0);
      await c.endAsync();
      await expect(
        connectClient(info.ws_url.replace('wss:', 'ws:'), { username: info.username, password: info.password, connectTimeout: 3000 }),
      ).rejects.toThrow();
      // nothing plain listens on 127.0.0.2: the MQTT TCP port is loopback-only
      const mqttPort = new URL(rt.mqtt.url).port;
      await expect(
        connectClient(`mqtt://127.0.0.2:${mqttPort}`, { username: rt.mqtt.username, password: rt.mqtt.password, connectTimeout: 3000 }),
      ).rejects.toThrow();
    });
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { loadOrCreateLanCertificate } from '../broker/tls.js';
import { startTestBroker, type TestBroker } from '../broker/testing/testBroker.js';
import { WindowSessions } from '../broker/windowSessions.js';
import { HostHttpServer } from './server.js';
import { httpCall, type HttpReply } from '../../../e2e/support/httpClient.js';

const TOKEN = 'test-login-token-0123456789abcdefghijklmno';
const log = createLogger('http-test', 'error');

let tb: TestBroker;
let dir: string;
let srv: HostHttpServer;
let sessions: WindowSessions;
let clock: number;

type Reply = HttpReply;

function get(path: string, headers: Record<string, string> = {}, method = 'GET', server = srv, tls?: { ca: string }): Promise<Reply> {
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${server.port}${path}`;
  return httpCall(url, { method, headers: { host: `127.0.0.1:${server.port}`, ...headers }, ...(tls ? { ca: tls.ca } : {}) });
}

/** Sign in with the token; returns the Cookie header value that names the new session. */
async function signIn(server = srv): Promise<string> {
  const r = await get(`/?token=${TOKEN}`, {}, 'GET', server);
  expect(r.status).toBe(302);
  return String(r.headers['set-cookie']).split(';')[0]!;
}

function cookieName(server = srv): string {
  return `alicia_session_${server.port}`;
}

function expectUnauthorizedJson(r: Reply): void {
  expect(r.status).toBe(401);
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(r.body)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('alicia serve') } });
}

function expectSignInPage(r: Reply): void {
  expect(r.status).toBe(401);
  expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(r.body).toContain('Open the link printed by <code>alicia serve</code>');
  expect(r.body).toContain('<code>http.url</code>');
  expect(r.body).not.toContain('/assets/app-1234.js');
}

beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

async function start(withRenderer: boolean, tls: { cert: string; key: string } | null = null) {
  dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
  if (withRenderer) {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1234.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log("app")');
  }
  writeFileSync(join(tmpdir(), 'alicia-http-secret.txt'), 'outside');
  clock = 1_000_000;
  sessions = new WindowSessions({
    bus: tb.broker,
    credentials: tb.broker.credentials,
    broker: tb.broker,
    idleMs: 60_000,
    now: () => clock,
    log,
  });
  await sessions.start();
  srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '9.9.9', log, token: TOKEN, tls });
  await srv.start();
  srv.attach({ wsUrl: 'ws://127.0.0.1:45678/mqtt', sessions });
}

afterEach(async () => {
  await srv.stop();
  await sessions.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HostHttpServer: signing in', () => {
  beforeEach(() => start(true));

  it('without a session every API route answers 401 JSON and every page or file the sign-in page', async () => {
    expectUnauthorizedJson(await get('/api/connection'));
    expectUnauthorizedJson(await get('/api/connection', { 'sec-fetch-site': 'same-origin' }));
    expectUnauthorizedJson(await get('/api/nope'));
    expectUnauthorizedJson(await get('/api/logout', { origin: `http://127.0.0.1:${srv.port}` }, 'POST'));
    for (const path of ['/', '/index.html', '/assets/app-1234.js', '/services/stt', '/assets/missing.js'])
      expectSignInPage(await get(path));
    // a cookie the host never issued, or another port's cookie, is no session
    expectUnauthorizedJson(await get('/api/connection', { cookie: `${cookieName()}=made-up-value` }));
    const signedIn = await signIn();
    expectUnauthorizedJson(await get('/api/connection', { cookie: signedIn.replace(cookieName(), 'alicia_session_1') }));
  });

  it('the token trades for a session cookie (HttpOnly, SameSite=Strict, this port) and a redirect to the URL without it', async () => {
    const r = await get(`/devices?view=compact&token=${TOKEN}&x=1`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/devices?view=compact&x=1');
    expect(r.headers['cache-control']).toBe('no-store');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${cookieName()}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    const session = cookie.split(';')[0]!;
    expect(session).not.toContain(TOKEN);
    const page = await get('/', { cookie: session });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/assets/app-1234.js');
    expect((await get('/assets/app-1234.js', { cookie: session })).status).toBe(200);
    // the token alone, at the root: a clean "/"
    expect((await get(`/?token=${TOKEN}`)).headers.location).toBe('/');
    // never a protocol-relative Location (it would leave this origin)
    expect((await get(`//evil.example/?token=${TOKEN}`)).headers.location).toBe('/');
  });

  it('GET /api/connection answers this browser its own window credential and session id, never cached', async () => {
    const a = await signIn();
    const b = await signIn();
    const ra = await get('/api/connection', { cookie: a, 'sec-fetch-site': 'same-origin' });
    expect(ra.status).toBe(200);
    expect(ra.headers['cache-control']).toBe('no-store');
    const ca = JSON.parse(ra.body) as Record<string, string>;
    const cb = JSON.parse((await get('/api/connection', { cookie: b })).body) as Record<string, string>;
    expect(ca).toMatchObject({ ws_url: 'ws://127.0.0.1:45678/mqtt', version: '9.9.9' });
    expect(ca.username).toBe(`window:${ca.session_id}`);
    expect(cb.session_id).not.toBe(ca.session_id);
    expect(cb.password).not.toBe(ca.password);
    // the broker knows both, each as its own principal
    expect(tb.broker.credentials.verify(ca.username, ca.password)).toBe(ca.username);
    expect(tb.broker.credentials.verify(cb.username, ca.password)).toBeNull();
    // the public session id is not the cookie
    expect(a).not.toContain(ca.session_id);
    expect(sessions.list().map((s) => s.id)).toEqual([ca.session_id, cb.session_id]);
    // loaded as localhost: the WebSocket URL follows, so the broker's Origin check and CSP agree
    const viaLocalhost = await get('/api/connection', { cookie: a, host: `localhost:${srv.port}` });
    expect((JSON.parse(viaLocalhost.body) as { ws_url: string }).ws_url).toBe('ws://localhost:45678/mqtt');
    const cross = await get('/api/connection', { cookie: a, 'sec-fetch-site': 'cross-site' });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const missing = await get('/api/nope', { cookie: a });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('a signed-in browser opening the link again keeps its session', async () => {
    const a = await signIn();
    const again = await get(`/?token=${TOKEN}`, { cookie: a });
    expect(again.status).toBe(302);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(sessions.list()).toHaveLength(1);
  });

  it('a wrong token is 401 and opens nothing', async () => {
    const page = await get('/?token=not-the-token');
    expectSignInPage(page);
    expect(page.body).toContain('not this host');
    expect(page.headers['set-cookie']).toBeUndefined();
    const api = await get('/api/connection?token=not-the-token');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await get(`/?token=${TOKEN}x`)).status).toBe(401);
    expect((await get('/?token=')).status).toBe(401);
    expect(sessions.list()).toEqual([]);
  });

  it('POST /api/logout needs our Origin; it ends the session, revokes its credential and clears the cookie', async () => {
    const a = await signIn();
    const conn = JSON.parse((await get('/api/connection', { cookie: a })).body) as { username: string; password: string };
    const noOrigin = await get('/api/logout', { cookie: a }, 'POST');
    expect(noOrigin.status).toBe(403);
    expect(JSON.parse(noOrigin.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await get('/api/logout', { cookie: a, origin: 'http://evil.example' }, 'POST')).status).toBe(403);
    expect((await get('/api/logout', { cookie: a, origin: `http://127.0.0.1:${srv.port}` }, 'GET')).status).toBe(405);
    const out = await get('/api/logout', { cookie: a, origin: `http://127.0.0.1:${srv.port}` }, 'POST');
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toBe(`${cookieName()}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    expectUnauthorizedJson(await get('/api/connection', { cookie: a }));
    expectSignInPage(await get('/', { cookie: a }));
    expect(tb.broker.credentials.verify(conn.username, conn.password)).toBeNull();
    expect(tb.broker.credentials.wasRevoked(conn.username)).toBe(true);
    expect(sessions.list()).toEqual([]);
  });

  it('an idle session ends: its cookie gets 401 and its credential is refused', async () => {
    const a = await signIn();
    const b = await signIn();
    const conn = JSON.parse((await get('/api/connection', { cookie: a })).body) as { username: string; password: string };
    clock += 45_000;
    expect((await get('/', { cookie: b })).status).toBe(200); // b is active
    clock += 20_000; // a: 65 s without a request; b: 20 s
    sessions.sweep();
    expectUnauthorizedJson(await get('/api/connection', { cookie: a }));
    expect((await get('/api/connection', { cookie: b })).status).toBe(200);
    expect(tb.broker.credentials.verify(conn.username, conn.password)).toBeNull();
  });

  it('refuses a foreign Host (DNS rebinding) and foreign Origins before anything else', async () => {
    const a = await signIn();
    for (const path of ['/', '/api/connection', `/?token=${TOKEN}`]) {
      const r = await get(path, { cookie: a, host: `evil.example:${srv.port}` });
      expect(r.status, path).toBe(421);
      expect(r.body).toBe('Misdirected request: unknown Host\n');
    }
    expect((await get('/', { host: `127.0.0.1:1` })).status).toBe(421);
    const api = await get('/api/connection', { cookie: a, origin: 'http://evil.example' });
    expect(api.status).toBe(403);
    expect(JSON.parse(api.body)).toEqual({ error: { code: 'FORBIDDEN', message: 'foreign Origin' } });
    const page = await get(`/?token=${TOKEN}`, { origin: 'http://evil.example' });
    expect(page.status).toBe(403);
    expect(page.body).toBe('Foreign Origin\n');
    expect((await get('/', { cookie: a, origin: `http://localhost:${srv.port}`, host: `localhost:${srv.port}` })).status).toBe(200);
  });

  it('sends a strict CSP that allows the broker WebSocket, and security headers', async () => {
    const r = await get('/', { cookie: await signIn() });
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('ws://127.0.0.1:45678');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    // the sign-in page runs nothing at all
    expect(String((await get('/')).headers['content-security-policy'])).toContain("default-src 'none'");
  });

  it('never serves files outside the renderer dir', async () => {
    const a = await signIn();
    expect((await get('/../alicia-http-secret.txt', { cookie: a })).body).not.toContain('outside');
    const enc = await get('/%2e%2e/alicia-http-secret.txt', { cookie: a });
    expect(enc.body).not.toContain('outside');
    expect([403, 404]).toContain(enc.status);
  });
});

describe('HostHttpServer without a built renderer', () => {
  beforeEach(() => start(false));
  it('serves a placeholder page that says the UI is not built, to a signed-in browser', async () => {
    expectSignInPage(await get('/'));
    const r = await get('/', { cookie: await signIn() });
    expect(r.status).toBe(200);
    expect(r.body).toContain('has not been built');
  });
});

describe('HostHttpServer before the broker is up', () => {
  it('cannot sign anyone in yet (503), and says 401 to the API', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
    sessions = new WindowSessions({ bus: tb.broker, credentials: tb.broker.credentials, broker: tb.broker, idleMs: 60_000, log });
    srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '1', log, token: TOKEN });
    await srv.start();
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/`);
    expect(srv.loginUrl).toBe(`http://127.0.0.1:${srv.port}/?token=${TOKEN}`);
    expect(srv.allowedOrigins).toContain(`http://localhost:${srv.port}`);
    expect((await get(`/?token=${TOKEN}`)).status).toBe(503);
    expect((await get('/api/connection')).status).toBe(401);
  });

  it('bound to every address, it also gives the login link under each of the machine addresses (a tablet on the LAN)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
    sessions = new WindowSessions({ bus: tb.broker, credentials: tb.broker.credentials, broker: tb.broker, idleMs: 60_000, log });
    srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '1', log, token: TOKEN });
    const wide = new HostHttpServer({ host: '0.0.0.0', port: 0, rendererDir: dir, version: '1', log, token: TOKEN });
    await Promise.all([srv.start(), wide.start()]);
    expect(srv.lanLoginUrls).toEqual([]);
    expect(wide.loginUrl).toBe(`http://127.0.0.1:${wide.port}/?token=${TOKEN}`);
    const external = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((a) => a.family === 'IPv4' && !a.internal)
      .map((a) => `http://${a.address}:${wide.port}/?token=${TOKEN}`);
    expect(wide.lanLoginUrls).toEqual(expect.arrayContaining(external));
    expect(wide.lanLoginUrls.some((u) => u.includes('127.0.0.1'))).toBe(false);
    await wide.stop();
  });

  it('makes a new 32-byte token at each start when none is given', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
    sessions = new WindowSessions({ bus: tb.broker, credentials: tb.broker.credentials, broker: tb.broker, idleMs: 60_000, log });
    srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '1', log });
    const other = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '1', log });
    await Promise.all([srv.start(), other.start()]);
    const token = (s: HostHttpServer) => new URL(s.loginUrl).searchParams.get('token')!;
    expect(token(srv)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token(other)).not.toBe(token(srv));
    await other.stop();
  });
});

describe('HostHttpServer over TLS', () => {
  let cert: { cert: string; key: string };
  beforeAll(async () => {
    cert = await loadOrCreateLanCertificate(tb.dataDir);
  });
  beforeEach(() => start(true, cert));

  it('speaks HTTPS only, and its session cookie is Secure', async () => {
    expect(srv.url).toBe(`https://127.0.0.1:${srv.port}/`);
    const r = await get(`/?token=${TOKEN}`, {}, 'GET', srv, { ca: cert.cert });
    expect(r.status).toBe(302);
    expect(String(r.headers['set-cookie'])).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    const page = await get('/', { cookie }, 'GET', srv, { ca: cert.cert });
    expect(page.status).toBe(200);
    // our Origin is https now
    expect((await get('/', { cookie, origin: `http://127.0.0.1:${srv.port}` }, 'GET', srv, { ca: cert.cert })).status).toBe(403);
    expect((await get('/', { cookie, origin: `https://127.0.0.1:${srv.port}` }, 'GET', srv, { ca: cert.cert })).status).toBe(200);
    // plain HTTP to the HTTPS port gets no answer
    await expect(get('/', {})).rejects.toThrow();
  });
});

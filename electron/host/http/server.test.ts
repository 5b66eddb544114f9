import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { HostHttpServer } from './server.js';

let dir: string;
let srv: HostHttpServer;

function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.port, path, method, headers: { host: `127.0.0.1:${srv.port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function start(withRenderer: boolean) {
  dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
  if (withRenderer) {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1234.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log("app")');
  }
  writeFileSync(join(tmpdir(), 'alicia-http-secret.txt'), 'outside');
  srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '9.9.9', log: createLogger('http-test', 'error') });
  await srv.start();
  srv.setConnection({ wsUrl: 'ws://127.0.0.1:45678/mqtt', username: 'window', password: 'pw-window-123' });
}

afterEach(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HostHttpServer with a built renderer', () => {
  beforeEach(() => start(true));

  it('serves the app, hashed assets cached, client-side routes fall back to index.html', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('/assets/app-1234.js');
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await get('/assets/app-1234.js', { origin: `http://127.0.0.1:${srv.port}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await get('/services/stt')).body).toContain('/assets/app-1234.js');
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/', {}, 'HEAD')).body).toBe('');
    expect((await get('/', {}, 'POST')).status).toBe(405);
  });

  it('sends a strict CSP that allows the broker WebSocket, and security headers', async () => {
    const r = await get('/');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain('ws://127.0.0.1:45678');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('never serves files outside the renderer dir', async () => {
    expect((await get('/../alicia-http-secret.txt')).body).not.toContain('outside');
    const enc = await get('/%2e%2e/alicia-http-secret.txt');
    expect(enc.body).not.toContain('outside');
    expect([403, 404]).toContain(enc.status);
  });

  it('refuses a foreign Host header (DNS rebinding) and foreign Origins', async () => {
    expect((await get('/', { host: `evil.example:${srv.port}` })).status).toBe(421);
    expect((await get('/api/connection', { host: `evil.example:${srv.port}` })).status).toBe(421);
    expect((await get('/', { host: `127.0.0.1:1` })).status).toBe(421);
    expect((await get('/', { host: `localhost:${srv.port}` })).status).toBe(200);
    expect((await get('/', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/api/connection', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/', { origin: `http://localhost:${srv.port}` })).status).toBe(200);
  });

  it('GET /api/connection gives the window its broker URL and credential, same-origin only, never cached', async () => {
    const r = await get('/api/connection', { 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toEqual({
      ws_url: 'ws://127.0.0.1:45678/mqtt',
      username: 'window',
      password: 'pw-window-123',
      version: '9.9.9',
    });
    // loaded as localhost: the WebSocket URL follows, so the broker's Origin check and CSP agree
    const viaLocalhost = await get('/api/connection', { host: `localhost:${srv.port}` });
    expect(JSON.parse(viaLocalhost.body).ws_url).toBe('ws://localhost:45678/mqtt');
    expect((await get('/api/connection', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await get('/api/nope')).status).toBe(404);
  });
});

describe('HostHttpServer without a built renderer', () => {
  beforeEach(() => start(false));
  it('serves a placeholder page that says the UI is not built', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('has not been built');
    expect(r.body).toContain('npm run build');
    expect((await get('/api/connection')).status).toBe(200);
  });
});

describe('HostHttpServer before the broker is up', () => {
  it('answers /api/connection with 503', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alicia-http-'));
    srv = new HostHttpServer({ host: '127.0.0.1', port: 0, rendererDir: dir, version: '1', log: createLogger('t', 'error') });
    await srv.start();
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/`);
    expect(srv.allowedOrigins).toContain(`http://localhost:${srv.port}`);
    expect((await get('/api/connection')).status).toBe(503);
  });
});

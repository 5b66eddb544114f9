import { describe, expect, it } from 'vitest';
import { buildCsp, cspSource, parseCsp } from './csp.js';

describe('content security policy of the window', () => {
  const policy = parseCsp(buildCsp({ wsUrl: 'ws://127.0.0.1:43121/mqtt' }));

  it('lets the page connect only to the broker WebSocket URL', () => {
    expect(policy.get('connect-src')).toEqual(['ws://127.0.0.1:43121/mqtt']);
  });

  it('refuses everything not listed, inline and eval script, plugins, frames, forms and <base>', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    for (const d of ['object-src', 'frame-src', 'child-src', 'base-uri', 'form-action', 'frame-ancestors'])
      expect(policy.get(d)).toEqual(["'none'"]);
    const all = [...policy.values()].flat();
    expect(all).not.toContain("'unsafe-inline'");
    expect(all).not.toContain("'unsafe-eval'");
    expect(all).not.toContain('*');
  });

  it('never upgrades insecure requests (that would turn ws:// into wss:// and break the local broker)', () => {
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
  });

  it('allows blob:/data: media so the spoken reply can play', () => {
    expect(policy.get('media-src')).toEqual(expect.arrayContaining(['blob:', 'data:']));
  });

  it('dev mode adds the Vite dev server and its HMR socket, and only then inline script/style', () => {
    const dev = parseCsp(buildCsp({ wsUrl: 'ws://127.0.0.1:1/mqtt', devServerUrl: 'http://localhost:5173/' }));
    expect(dev.get('connect-src')).toEqual(['ws://127.0.0.1:1/mqtt', 'http://localhost:5173', 'ws://localhost:5173']);
    expect(dev.get('script-src')).toEqual(["'self'", 'http://localhost:5173', "'unsafe-inline'"]);
    expect(dev.get('style-src')).toContain("'unsafe-inline'");
  });

  it('refuses a WebSocket URL that is not ws/wss, carries credentials, or tries to inject a directive', () => {
    expect(() => buildCsp({ wsUrl: 'http://127.0.0.1:1/mqtt' })).toThrow(/not allowed/);
    expect(() => buildCsp({ wsUrl: 'ws://user:pw@127.0.0.1:1/mqtt' })).toThrow(/credentials/);
    expect(() => buildCsp({ wsUrl: "ws://127.0.0.1:1/mqtt;script-src 'unsafe-eval'" })).toThrow();
    expect(() => buildCsp({ wsUrl: 'ws://127.0.0.1:1/a,b' })).toThrow(/unsafe characters/);
    expect(() => buildCsp({ wsUrl: 'not a url' })).toThrow(/not a URL/);
  });

  it('drops query and fragment: CSP sources match scheme, host, port and path', () => {
    expect(cspSource('wss://alicia.lan:8884/mqtt?x=1#y', ['wss:'])).toBe('wss://alicia.lan:8884/mqtt');
    expect(cspSource('http://localhost:5173/', ['http:'])).toBe('http://localhost:5173');
  });
});

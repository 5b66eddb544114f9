import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decode } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { useHealth } from '../stores/healthStore.js';
import { HostInfo } from '../views/HostInfo.js';
import { routeMessage } from './router.js';

/**
 * The LAN certificate fingerprint shown in the window (users pin it on their devices). The host's
 * retained alicia/system/host goes through the real decoder and router into the health store, and
 * the Health view's broker panel part (HostInfo) renders what the store holds. (Zustand renders its
 * initial state on the server, so the store value is passed to the component as HealthView does.)
 */
beforeAll(() => {
  // node has no animation frames: the router's flush (frame.ts) falls back to its timer
  vi.stubGlobal('requestAnimationFrame', () => 0);
  vi.stubGlobal('cancelAnimationFrame', () => undefined);
});
afterAll(() => {
  vi.unstubAllGlobals();
});

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

async function route(body: Record<string, unknown>): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(seal(body, { source: 'host' })));
  routeMessage('alicia/system/host', 'alicia/system/host', decode('alicia/system/host', bytes));
  await vi.waitFor(() => expect(useHealth.getState().host?.started_at).toBe(body.started_at), { timeout: 2000 });
}

describe('alicia/system/host in the window', () => {
  it('shows the LAN url and certificate fingerprint in the Health view when LAN access is on', async () => {
    expect(renderToStaticMarkup(createElement(HostInfo, { host: useHealth.getState().host }))).toContain('no host record yet');
    await route({
      version: '1.2.3',
      lan: { enabled: true, url: 'mqtts://0.0.0.0:8883', fingerprint256: FP },
      started_at: 1_700_000_000_000,
    });
    const html = renderToStaticMarkup(createElement(HostInfo, { host: useHealth.getState().host }));
    expect(html).toContain('version 1.2.3');
    expect(html).toContain('mqtts://0.0.0.0:8883');
    expect(html).toMatch(new RegExp(`data-testid="lan-fingerprint"[^>]*>${FP}<`));
  });

  it("carries the host's local MQTT listener to the store; a record without it (an older host) still validates", async () => {
    await route({ version: '1.2.3', mqtt_url: 'mqtt://127.0.0.1:40731', lan: null, started_at: 1_700_000_000_002 });
    expect(useHealth.getState().host?.mqtt_url).toBe('mqtt://127.0.0.1:40731');
    await route({ version: '1.2.2', lan: null, started_at: 1_700_000_000_003 });
    expect(useHealth.getState().host?.version).toBe('1.2.2');
    expect(useHealth.getState().host?.mqtt_url).toBeUndefined();
    const bad = new TextEncoder().encode(
      JSON.stringify(seal({ version: '1', mqtt_url: 1883, lan: null, started_at: 1 }, { source: 'host' })),
    );
    expect(() => decode('alicia/system/host', bad)).toThrow();
  });

  it('says LAN access is off when the host has no LAN listener', async () => {
    await route({ version: '1.2.3', lan: null, started_at: 1_700_000_000_001 });
    const html = renderToStaticMarkup(createElement(HostInfo, { host: useHealth.getState().host }));
    expect(html).toContain('off (no MQTT listener for devices)');
    expect(html).not.toContain('lan-fingerprint');
    expect(html).not.toContain('window-tls-fingerprint');
  });

  it("shows the window's TLS certificate fingerprint when the window is served over HTTPS", async () => {
    await route({ version: '1.2.3', lan: null, tls: { fingerprint256: FP }, started_at: 1_700_000_000_004 });
    const html = renderToStaticMarkup(createElement(HostInfo, { host: useHealth.getState().host }));
    expect(html).toMatch(new RegExp(`data-testid="window-tls-fingerprint"[^>]*>${FP}<`));
  });
});

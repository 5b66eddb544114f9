import { describe, expect, it } from 'vitest';
import { trayIconFile, trayMenuTemplate, trayStatus } from './tray.js';
import type { HealthAggregate, ServiceState, TrayActions } from './tray.js';

const env = { v: '1.0', id: 'x', ts: 1, source: 'supervisor', trace_id: 't' };
const st = (service: string, state: ServiceState['state']): ServiceState => ({ ...env, service, state, pid: 1, restarts: 0, startedAt: 1 });
const states = (...s: ServiceState[]) => new Map(s.map((x) => [x.service, x]));
const agg = (
  overall: HealthAggregate['overall'],
  services: Record<string, HealthAggregate['services'][string]['status']>,
): HealthAggregate => ({
  ...env,
  overall,
  services: Object.fromEntries(Object.entries(services).map(([k, status]) => [k, { status, last_heartbeat: 1, missed: 0 }])),
});

describe('tray health', () => {
  it('says starting before anything is known', () => {
    expect(trayStatus(new Map(), null)).toMatchObject({ level: 'unknown', label: 'Starting…' });
  });

  it('is green when every service runs and the monitor agrees', () => {
    const s = trayStatus(states(st('stt', 'running'), st('ai', 'running')), agg('healthy', { stt: 'healthy', ai: 'healthy' }));
    expect(s).toEqual({ level: 'ok', label: 'All 2 services running', tooltip: 'Alicia Control Center: all 2 services running' });
  });

  it('is red and names the service when one has failed', () => {
    const s = trayStatus(states(st('stt', 'failed'), st('ai', 'running'), st('tts', 'running')), agg('healthy', {}));
    expect(s.level).toBe('down');
    expect(s.label).toBe('1 of 3 services down');
    expect(s.tooltip).toContain('stt failed');
  });

  it('is red when a running service stopped answering heartbeats', () => {
    const s = trayStatus(states(st('stt', 'running'), st('ai', 'running')), agg('down', { stt: 'down', ai: 'healthy' }));
    expect(s).toMatchObject({ level: 'down', label: '1 of 2 services down' });
    expect(s.tooltip).toContain('stt not responding');
  });

  it('is amber for a crash being restarted, a degraded or a stopped service', () => {
    expect(trayStatus(states(st('stt', 'crashed'), st('ai', 'running')), null).level).toBe('degraded');
    expect(trayStatus(states(st('stt', 'running'), st('ai', 'running')), agg('degraded', { ai: 'degraded' })).tooltip).toContain(
      'ai degraded',
    );
    expect(trayStatus(states(st('stt', 'stopped'), st('ai', 'running')), null)).toMatchObject({
      level: 'degraded',
      label: '1 of 2 services need attention',
    });
  });

  it('says "all stopped", not "down", when the user stopped every service (the retained monitor status is stale then)', () => {
    const s = trayStatus(states(st('stt', 'stopped'), st('ai', 'stopped')), agg('down', { stt: 'down', ai: 'down' }));
    expect(s).toMatchObject({ level: 'stopped', label: 'All services stopped' });
  });

  it('shows progress while services start', () => {
    expect(trayStatus(states(st('stt', 'starting'), st('ai', 'running')), null)).toMatchObject({
      level: 'unknown',
      label: 'Starting 1 of 2 services…',
    });
  });

  it('maps each level to its icon file', () => {
    expect(trayIconFile('ok')).toBe('tray-ok.png');
    expect(trayIconFile('down')).toBe('tray-down.png');
  });
});

describe('tray menu', () => {
  const calls: string[] = [];
  const actions: TrayActions = {
    showWindow: () => calls.push('show'),
    startAll: () => calls.push('start'),
    stopAll: () => calls.push('stop'),
    openDataFolder: () => calls.push('data'),
    quit: () => calls.push('quit'),
  };
  const click = (items: ReturnType<typeof trayMenuTemplate>, id: string) => {
    const item = items.find((i) => i.id === id);
    (item?.click as unknown as () => void)();
  };

  it('shows the status first and wires every action', () => {
    const all = states(st('stt', 'running'));
    const items = trayMenuTemplate(trayStatus(all, null), all, actions);
    expect(items[0]).toMatchObject({ label: 'All 1 services running', enabled: false });
    calls.length = 0;
    for (const id of ['show', 'start-all', 'stop-all', 'data-folder', 'quit']) click(items, id);
    expect(calls).toEqual(['show', 'start', 'stop', 'data', 'quit']);
  });

  it('offers start-all only when something is not running, stop-all only when something runs', () => {
    const running = states(st('stt', 'running'), st('ai', 'running'));
    const byId = (s: Map<string, ServiceState>) =>
      Object.fromEntries(trayMenuTemplate(trayStatus(s, null), s, actions).map((i) => [i.id, i.enabled]));
    expect(byId(running)).toMatchObject({ 'start-all': false, 'stop-all': true });
    const stopped = states(st('stt', 'stopped'), st('ai', 'stopped'));
    expect(byId(stopped)).toMatchObject({ 'start-all': true, 'stop-all': false });
    const mixed = states(st('stt', 'failed'), st('ai', 'running'));
    expect(byId(mixed)).toMatchObject({ 'start-all': true, 'stop-all': true });
  });
});

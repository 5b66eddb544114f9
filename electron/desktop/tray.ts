import type { MenuItemConstructorOptions } from 'electron';
import type { MessageOf } from '../../services/lib/protocol/topics.js';

/**
 * What the tray icon says: one overall level (its colour), a one-line label and a tooltip, computed
 * from what the bus already carries. Pure, so it is unit-tested; trayController.ts owns the Tray object.
 *
 * Two sources, because each alone can mislead:
 *  - alicia/system/services/<name> (supervisor, retained): is the process up? This is authoritative
 *    for started/stopped/failed, and it keeps flowing when the health monitor itself is stopped.
 *  - alicia/health/status (health monitor, retained): are the running ones healthy (heartbeats,
 *    error rates)? Its retained value can be stale after the monitor stops, so process states win.
 */
export type ServiceState = MessageOf<'alicia/system/services/+'>;
export type HealthAggregate = MessageOf<'alicia/health/status'>;

export type TrayLevel = 'ok' | 'degraded' | 'down' | 'stopped' | 'unknown';

export interface TrayStatus {
  level: TrayLevel;
  /** short, for the first (disabled) menu item */
  label: string;
  /** longer, for the tooltip: names the services that need attention */
  tooltip: string;
}

export const PRODUCT_NAME = 'Alicia Control Center';

export function trayStatus(states: ReadonlyMap<string, ServiceState>, aggregate: HealthAggregate | null): TrayStatus {
  const all = [...states.values()];
  if (all.length === 0 && !aggregate) return { level: 'unknown', label: 'Starting…', tooltip: `${PRODUCT_NAME}: starting` };

  const byState = (s: ServiceState['state']) =>
    all
      .filter((x) => x.state === s)
      .map((x) => x.service)
      .sort();
  const failed = byState('failed');
  const crashed = byState('crashed');
  const stopped = byState('stopped');
  const transitioning = [...byState('starting'), ...byState('stopping')];
  const running = byState('running');

  if (all.length > 0 && stopped.length === all.length) {
    return { level: 'stopped', label: 'All services stopped', tooltip: `${PRODUCT_NAME}: all ${all.length} services stopped` };
  }

  // Health of running services from the monitor; only for services the supervisor says are running.
  const unhealthy: string[] = [];
  const degraded: string[] = [];
  for (const name of running) {
    const h = aggregate?.services[name];
    if (h?.status === 'down') unhealthy.push(name);
    else if (h?.status === 'degraded') degraded.push(name);
  }

  const problems = [
    ...failed.map((n) => `${n} failed`),
    ...crashed.map((n) => `${n} crashed`),
    ...unhealthy.map((n) => `${n} not responding`),
    ...degraded.map((n) => `${n} degraded`),
    ...stopped.map((n) => `${n} stopped`),
  ];
  const total = all.length || Object.keys(aggregate?.services ?? {}).length;
  const tooltipOf = (head: string) => `${PRODUCT_NAME}: ${head}${problems.length ? ` (${problems.join(', ')})` : ''}`;

  if (failed.length > 0 || unhealthy.length > 0) {
    const n = failed.length + unhealthy.length;
    return { level: 'down', label: `${n} of ${total} services down`, tooltip: tooltipOf(`${n} of ${total} services down`) };
  }
  if (crashed.length > 0 || degraded.length > 0 || stopped.length > 0) {
    const n = crashed.length + degraded.length + stopped.length;
    return {
      level: 'degraded',
      label: `${n} of ${total} services need attention`,
      tooltip: tooltipOf(`${n} of ${total} services need attention`),
    };
  }
  if (transitioning.length > 0) {
    return {
      level: 'unknown',
      label: `Starting ${transitioning.length} of ${total} services…`,
      tooltip: `${PRODUCT_NAME}: ${transitioning.join(', ')} starting`,
    };
  }
  if (all.length === 0 && aggregate) {
    // Process states not seen yet (host just started): report what the monitor says.
    const level: TrayLevel =
      aggregate.overall === 'healthy'
        ? 'ok'
        : aggregate.overall === 'degraded'
          ? 'degraded'
          : aggregate.overall === 'down'
            ? 'down'
            : 'unknown';
    return { level, label: `Services ${aggregate.overall}`, tooltip: `${PRODUCT_NAME}: services ${aggregate.overall}` };
  }
  return { level: 'ok', label: `All ${total} services running`, tooltip: `${PRODUCT_NAME}: all ${total} services running` };
}

export interface TrayActions {
  showWindow(): void;
  startAll(): void;
  stopAll(): void;
  openDataFolder(): void;
  quit(): void;
}

/** The tray's context menu. Start/stop-all are offered only when they would change something. */
export function trayMenuTemplate(
  status: TrayStatus,
  states: ReadonlyMap<string, ServiceState>,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  const all = [...states.values()];
  const anyNotRunning = all.length === 0 || all.some((s) => s.state !== 'running' && s.state !== 'starting');
  const anyRunning = all.some((s) => s.state === 'running' || s.state === 'starting' || s.state === 'crashed');
  return [
    { id: 'status', label: status.label, enabled: false },
    { type: 'separator' },
    { id: 'show', label: `Open ${PRODUCT_NAME}`, click: () => actions.showWindow() },
    { type: 'separator' },
    { id: 'start-all', label: 'Start all services', enabled: anyNotRunning, click: () => actions.startAll() },
    { id: 'stop-all', label: 'Stop all services', enabled: anyRunning, click: () => actions.stopAll() },
    { type: 'separator' },
    { id: 'data-folder', label: 'Open data folder', click: () => actions.openDataFolder() },
    { type: 'separator' },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  ];
}

/** File name of the tray icon for a level (resources/icons/tray/). */
export function trayIconFile(level: TrayLevel): string {
  return `tray-${level}.png`;
}

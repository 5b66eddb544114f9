import { describe, expect, it } from 'vitest';
import type { ServiceRow } from '../stores/servicesStore.js';
import { serviceRowView } from './serviceRow.js';

const T = new Date(2026, 2, 4, 14, 2, 30).getTime();
const env = { v: '1.0', id: 'x', source: 'supervisor', trace_id: 't' };
const me = 'window:abc';

function row(over: Partial<ServiceRow> = {}): ServiceRow {
  return {
    name: 'stt',
    state: { ...env, ts: T - 60_000, service: 'stt', state: 'running', pid: 1234, restarts: 0, startedAt: T - 60_000 },
    heartbeat: { ...env, ts: T - 1000, service: 'stt', pid: 1234, seq: 3, uptime_ms: 59_000, status: 'ok', interval_ms: 5000 },
    heartbeatAt: T - 1000,
    metrics: {
      ...env,
      ts: T - 2000,
      service: 'stt',
      messages_in: 10,
      messages_out: 10,
      errors: 0,
      in_per_s: 0.3,
      out_per_s: 0.3,
      handler_latency_ms: { p50: 1, p95: 2, p99: 3, count: 10 },
      breakers: {},
      per_topic: {},
      window_ms: 5000,
    },
    ...over,
  };
}

describe('a service row as the Services view shows it', () => {
  it('running: pid, uptime, heartbeat age and this run metrics', () => {
    const v = serviceRowView(row(), { now: T, me });
    expect(v).toMatchObject({ state: 'running', cls: 'ok', pid: 1234, thread: null, heartbeatAge: 1000, detail: 'up 1m 0s' });
    expect(v.metrics?.in_per_s).toBe(0.3);
  });

  it('running in the shared service process: the shared pid and its own thread; none once stopped', () => {
    const shared = row({
      state: { ...env, ts: T - 60_000, service: 'ai', state: 'running', pid: 1234, thread: 3, restarts: 0, startedAt: T - 60_000 },
    });
    expect(serviceRowView(shared, { now: T, me })).toMatchObject({ pid: 1234, thread: 3 });
    const stopped = row({ state: { ...env, ts: T, service: 'ai', state: 'stopped', pid: null, thread: 3, restarts: 0, startedAt: null } });
    expect(serviceRowView(stopped, { now: T, me })).toMatchObject({ pid: null, thread: null });
  });

  it('stopped by this window: no pid, no rate, no ageing heartbeat, and who stopped it when', () => {
    const stopped = row({
      state: {
        ...env,
        ts: T,
        service: 'stt',
        state: 'stopped',
        pid: null,
        restarts: 0,
        startedAt: T - 60_000,
        exit_code: 0,
        stop_reason: 'request',
        stopped_by: me,
        stopped_at: T - 30_000,
      },
      // its last heartbeat was its goodbye, and its metrics stay retained on the broker
      heartbeat: { ...env, ts: T - 30_000, service: 'stt', pid: 1234, seq: 9, uptime_ms: 1, status: 'offline', interval_ms: 5000 },
      heartbeatAt: T - 30_000,
    });
    const later = serviceRowView(stopped, { now: T + 600_000, me });
    expect(later).toMatchObject({
      state: 'stopped',
      cls: 'muted',
      pid: null,
      heartbeatAge: null,
      metrics: null,
      detail: 'stopped by you at 14:02',
    });
    expect(serviceRowView(stopped, { now: T, me: 'window:other' }).detail).toBe('stopped from another window at 14:02');
    expect(serviceRowView({ ...stopped, state: { ...stopped.state!, stopped_by: 'operator' } }, { now: T, me }).detail).toBe(
      'stopped by the operator (a tool) at 14:02',
    );
  });

  it('starting: never a negative uptime, and not the previous run heartbeat or metrics', () => {
    const starting = row({
      // the supervisor's clock ran ahead of the last tick of the window's
      state: { ...env, ts: T, service: 'stt', state: 'starting', pid: 1300, restarts: 1, startedAt: T + 504 },
    });
    const v = serviceRowView(starting, { now: T, me });
    expect(v).toMatchObject({ state: 'starting', cls: 'busy', pid: 1300, heartbeatAge: null, metrics: null, detail: 'starting…' });
    const running = { ...starting, state: { ...starting.state!, state: 'running' as const } };
    expect(serviceRowView(running, { now: T, me }).detail).toBe('up 0 ms');
  });

  it('a clean exit, a host stop, a disabled service, a crash each say what happened', () => {
    const base = row().state!;
    const as = (s: Partial<typeof base>) => serviceRowView(row({ state: { ...base, pid: null, ...s } }), { now: T, me }).detail;
    expect(as({ state: 'stopped', stop_reason: 'exit', exit_code: 0, stopped_at: T })).toBe(
      'exited by itself at 14:02 (code 0); not restarted',
    );
    expect(as({ state: 'stopped', stop_reason: 'host', stopped_at: T })).toBe('stopped with the host at 14:02');
    expect(as({ state: 'stopped', stop_reason: 'disabled' })).toBe('disabled in the config');
    expect(as({ state: 'stopping', stop_reason: 'request', stopped_by: me, stopped_at: T })).toBe('stopping by you at 14:02');
    expect(as({ state: 'crashed', last_error: 'exited with code 3' })).toBe('exited with code 3; restarting');
  });

  it('a running service gone silent reads "no heartbeat"', () => {
    expect(serviceRowView(row(), { now: T + 20_000, me })).toMatchObject({ state: 'no heartbeat', cls: 'warn' });
  });
});

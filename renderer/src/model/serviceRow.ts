import type { ServiceRow } from '../stores/servicesStore.js';
import { formatDuration, formatWhen } from './format.js';

/**
 * One service's row as the Services view shows it, honest about a process that is not running: a
 * stopped service has no pid, no message rate and no heartbeat age (its last heartbeat was its
 * goodbye), and says why it stopped and when ("stopped by you at 14:02"). Pure: the view passes
 * the clock and who "you" is.
 */

/** A heartbeat older than this many intervals counts as missed. */
const LATE_FACTOR = 2.5;

export type StateClass = 'ok' | 'warn' | 'bad' | 'busy' | 'muted';

export interface ServiceRowView {
  /** the supervisor's state, "no heartbeat" for a running service gone silent, or "unknown" */
  state: string;
  cls: StateClass;
  /** a line under the state: "up 3m 2s", "stopped by you at 14:02", the last error */
  detail: string;
  pid: number | null;
  /** its thread in the shared service process (whose pid `pid` is), null for a process of its own */
  thread: number | null;
  /** ms since its last heartbeat, while it runs */
  heartbeatAge: number | null;
  /** this run's metrics; null when it is not running or has not reported since it started */
  metrics: ServiceRow['metrics'] | null;
  running: boolean;
}

export interface RowContext {
  /** the window's clock, or the moment the bus was lost (values then are the last known) */
  now: number;
  /** this window's broker username (`window:<session>`): its own requests read "by you" */
  me: string;
}

function who(by: string | undefined, me: string): string {
  if (!by) return '';
  if (by === me) return ' by you';
  if (by === 'operator') return ' by the operator (a tool)';
  if (by.startsWith('window:')) return ' from another window';
  return ` by ${by}`;
}

function stopDetail(st: NonNullable<ServiceRow['state']>, ctx: RowContext): string {
  const at = st.stopped_at ? ` at ${formatWhen(st.stopped_at, ctx.now)}` : '';
  switch (st.stop_reason) {
    case 'request':
      return `stopped${who(st.stopped_by, ctx.me)}${at}`;
    case 'restart':
      return `restarting${who(st.stopped_by, ctx.me)}`;
    case 'host':
      return `stopped with the host${at}`;
    case 'exit':
      return `exited by itself${at} (code ${st.exit_code ?? 0}); not restarted`;
    case 'disabled':
      return 'disabled in the config';
    default:
      return st.exit_signal
        ? `ended by ${st.exit_signal}`
        : st.exit_code !== null && st.exit_code !== undefined
          ? `exit code ${st.exit_code}`
          : '';
  }
}

export function serviceRowView(row: ServiceRow, ctx: RowContext): ServiceRowView {
  const st = row.state;
  const state = st?.state ?? (row.heartbeat ? 'running' : 'unknown');
  const running = state === 'running' || state === 'starting';
  // The supervisor's pid is the current process; a heartbeat of another pid is a previous run's.
  const pid = running ? (st?.pid ?? row.heartbeat?.pid ?? null) : null;
  const thread = running ? (st?.thread ?? null) : null;
  const ownBeat =
    running && row.heartbeatAt !== undefined && (pid === null || row.heartbeat?.pid === pid) && row.heartbeat?.status !== 'offline';
  const heartbeatAge = ownBeat ? Math.max(0, ctx.now - (row.heartbeatAt as number)) : null;
  const interval = row.heartbeat?.interval_ms ?? 5000;
  const late = state === 'running' && heartbeatAge !== null && heartbeatAge > interval * LATE_FACTOR;
  // Metrics are retained: the last report of a stopped process stays on the broker. Only this run's count.
  const m = row.metrics;
  const metrics = running && m && (!st?.startedAt || m.ts >= st.startedAt) ? m : null;
  let detail = '';
  if (state === 'running') detail = st?.startedAt ? `up ${formatDuration(Math.max(0, ctx.now - st.startedAt))}` : '';
  else if (state === 'starting') detail = 'starting…';
  else if (state === 'stopping') detail = stopDetail(st!, ctx).replace(/^stopped/, 'stopping');
  else if (state === 'stopped' && st) detail = stopDetail(st, ctx);
  else if (state === 'crashed') detail = `${st?.last_error ?? 'crashed'}; restarting`;
  else if (state === 'failed') detail = st?.last_error ?? 'failed';
  const cls: StateClass = late
    ? 'warn'
    : state === 'running'
      ? 'ok'
      : state === 'starting' || state === 'stopping'
        ? 'busy'
        : state === 'stopped' || state === 'unknown'
          ? 'muted'
          : 'bad';
  return { state: late ? 'no heartbeat' : state, cls, detail, pid, thread, heartbeatAge, metrics, running };
}

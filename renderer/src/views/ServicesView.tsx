import { useEffect, useMemo, useRef, useState } from 'react';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { loadRecentLogs } from '../actions/logActions.js';
import { BrokerNote } from './BrokerNote.js';
import { formatLogLine } from './logLine.js';
import { serviceAction } from '../actions/serviceActions.js';
import { useConnection } from '../stores/connectionStore.js';
import { useNow } from '../components/useNow.js';
import { formatDuration, formatRate, formatTime } from '../model/format.js';
import { useServices } from '../stores/servicesStore.js';
import type { ServiceRow } from '../stores/servicesStore.js';
import './ServicesView.css';

/** A heartbeat older than this many intervals counts as missed. */
const LATE_FACTOR = 2.5;

function heartbeatAge(row: ServiceRow, now: number): number | null {
  return row.heartbeatAt === undefined ? null : Math.max(0, now - row.heartbeatAt);
}

function StateBadge({ row, now }: { row: ServiceRow; now: number }) {
  const st = row.state?.state ?? (row.heartbeat ? 'running' : 'unknown');
  const age = heartbeatAge(row, now);
  const interval = row.heartbeat?.interval_ms ?? 5000;
  const late = st === 'running' && age !== null && age > interval * LATE_FACTOR;
  const cls = late
    ? 'warn'
    : st === 'running'
      ? 'ok'
      : st === 'starting' || st === 'stopping'
        ? 'busy'
        : st === 'stopped'
          ? 'muted'
          : st === 'unknown'
            ? 'muted'
            : 'bad';
  return (
    <span className={`badge ${cls}`} data-testid={`state-${row.name}`}>
      {late ? 'no heartbeat' : st}
    </span>
  );
}

function Row({ row, now, selected, onSelect }: { row: ServiceRow; now: number; selected: boolean; onSelect: () => void }) {
  const action = useServices((s) => s.actions[row.name]);
  const st = row.state?.state;
  const running = st === 'running' || st === 'starting';
  const uptime = running && row.state?.startedAt ? now - row.state.startedAt : null;
  const age = heartbeatAge(row, now);
  const m = row.metrics;
  const busy = action?.pending === true;
  return (
    <tr className={selected ? 'sel' : ''} onClick={onSelect} data-testid={`service-${row.name}`} aria-selected={selected}>
      <td className="name">{row.name}</td>
      <td>
        <StateBadge row={row} now={now} />
        {row.state?.last_error && (
          <span className="hint bad" title={row.state.last_error}>
            {' '}
            ⚠
          </span>
        )}
      </td>
      <td className="num">{row.state?.pid ?? row.heartbeat?.pid ?? '—'}</td>
      <td className="num">{formatDuration(uptime)}</td>
      <td className="num">{row.state?.restarts ?? '—'}</td>
      <td className="num" data-testid={`hb-${row.name}`}>
        {age === null ? '—' : formatDuration(age)}
      </td>
      <td className="num">{m ? formatRate(m.in_per_s + m.out_per_s) : '—'}</td>
      <td className={`num ${m && m.errors > 0 ? 'bad' : ''}`}>{m?.errors ?? '—'}</td>
      <td className="num">{m && m.handler_latency_ms.count > 0 ? `${m.handler_latency_ms.p95.toFixed(1)} ms` : '—'}</td>
      <td className="actions" onClick={(e) => e.stopPropagation()}>
        <button disabled={busy || running} onClick={() => void serviceAction(row.name, 'start')} data-testid={`start-${row.name}`}>
          Start
        </button>
        <button disabled={busy || !running} onClick={() => void serviceAction(row.name, 'stop')} data-testid={`stop-${row.name}`}>
          Stop
        </button>
        <button disabled={busy} onClick={() => void serviceAction(row.name, 'restart')}>
          Restart
        </button>
      </td>
      <td className="answer" data-testid={`answer-${row.name}`}>
        {action &&
          (action.pending ? (
            <span className="busy-text">{action.action}…</span>
          ) : (
            <span className={action.ok ? 'ok-text' : 'bad'}>{action.message}</span>
          ))}
      </td>
    </tr>
  );
}

function LogTail({ name }: { name: string }) {
  const lines = useServices((s) => s.logs[name]);
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  const connected = useConnection((s) => s.status === 'connected');
  useEffect(() => {
    if (connected) void loadRecentLogs(name);
  }, [name, connected]);
  useEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);
  return (
    <section className="panel logs" aria-label={`log of ${name}`}>
      <header className="panel-head">
        <h2>
          Log · <span className="mono">{name}</span>
        </h2>
        <span className="muted">{lines?.length ?? 0} lines (last 1000 kept)</span>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
        </label>
      </header>
      <pre ref={ref} className="logtail" data-testid="log-tail">
        {lines && lines.length > 0
          ? lines.map((l, i) => {
              const v = formatLogLine(l.text);
              const bad = l.stream === 'stderr' || v.level === 'error' || v.level === 'warn';
              return (
                <div key={i} className={bad ? 'bad' : l.stream === 'supervisor' ? 'muted' : ''}>
                  <span className="ts">{formatTime(l.at)}</span> {v.level && v.level !== 'info' ? `${v.level.toUpperCase()} ` : ''}
                  {v.text}
                </div>
              );
            })
          : 'No log lines received since the window opened.'}
      </pre>
    </section>
  );
}

export function ServicesView() {
  const services = useServices((s) => s.services);
  const now = useNow(1000);
  const rows = useMemo(() => {
    const names = new Set<string>([...SERVICE_NAMES, ...Object.keys(services)]);
    return [...names].map((name) => services[name] ?? { name });
  }, [services]);
  const [selected, setSelected] = useState<string>(SERVICE_NAMES[0]);
  const running = rows.filter((r) => r.state?.state === 'running').length;
  return (
    <div className="view services-view">
      <section className="panel">
        <header className="panel-head">
          <h2>Services</h2>
          <span className="muted">
            {running} of {rows.length} running
          </span>
        </header>
        <BrokerNote />
        <div className="table-wrap">
          <table className="grid-table">
            <thead>
              <tr>
                <th>Service</th>
                <th>State</th>
                <th className="num">PID</th>
                <th className="num">Uptime</th>
                <th className="num">Restarts</th>
                <th className="num">Heartbeat</th>
                <th className="num">Msgs/s</th>
                <th className="num">Errors</th>
                <th className="num">p95</th>
                <th>Control</th>
                <th>Last answer</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <Row key={r.name} row={r} now={now} selected={r.name === selected} onSelect={() => setSelected(r.name)} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LogTail name={selected} />
    </div>
  );
}

import { useMemo, useState } from 'react';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { serviceAction } from '../actions/serviceActions.js';
import { ErrorText } from '../components/ErrorText.js';
import { useNow } from '../components/useNow.js';
import { formatClock, formatDuration, formatRate } from '../model/format.js';
import { serviceRowView } from '../model/serviceRow.js';
import type { RowContext } from '../model/serviceRow.js';
import { selectLive, selectStaleSince, useConnection } from '../stores/connectionStore.js';
import { useServices } from '../stores/servicesStore.js';
import type { ServiceRow } from '../stores/servicesStore.js';
import { BrokerNote } from './BrokerNote.js';
import { LogTail } from './services/LogTail.js';
import './ServicesView.css';

const COLUMNS = 8;

function Row({
  row,
  ctx,
  stale,
  live,
  selected,
  onSelect,
}: {
  row: ServiceRow;
  ctx: RowContext;
  stale: boolean;
  live: boolean;
  selected: boolean;
  onSelect: () => void;
}) {
  const action = useServices((s) => s.actions[row.name]);
  const v = serviceRowView(row, ctx);
  const busy = action?.pending === true;
  const m = v.metrics;
  const off = !live || busy;
  return (
    <>
      <tr
        className={`${selected ? 'sel' : ''} ${stale ? 'stale' : ''}`}
        onClick={onSelect}
        data-testid={`service-${row.name}`}
        data-state={v.state}
      >
        <td className="name">
          <button className="link-button" onClick={onSelect} aria-pressed={selected} title={`Show the log of ${row.name}`}>
            {row.name}
          </button>
          <div className="sub mono" data-testid={`pid-${row.name}`}>
            {v.pid !== null ? `pid ${v.pid}` : 'no process'}
          </div>
        </td>
        <td className="state">
          <span className={`badge ${v.cls}`} data-testid={`state-${row.name}`} title={stale ? 'last known state' : undefined}>
            {v.state}
          </span>
          {v.detail && (
            <div className="sub" data-testid={`detail-${row.name}`}>
              {v.detail}
            </div>
          )}
        </td>
        <td className="num" data-testid={`hb-${row.name}`}>
          {v.heartbeatAge === null ? '—' : v.heartbeatAge < 1000 ? 'just now' : `${formatDuration(v.heartbeatAge)} ago`}
        </td>
        <td className="num" data-testid={`rate-${row.name}`}>
          {m ? formatRate(m.in_per_s + m.out_per_s) : '—'}
        </td>
        <td className={`num ${m && m.errors > 0 ? 'bad' : ''}`}>{m?.errors ?? '—'}</td>
        <td className="num">{m && m.handler_latency_ms.count > 0 ? `${m.handler_latency_ms.p95.toFixed(1)} ms` : '—'}</td>
        <td className="num">{row.state?.restarts ?? '—'}</td>
        <td className="actions" onClick={(e) => e.stopPropagation()}>
          <div className="action-buttons">
            <button disabled={off || v.running} onClick={() => void serviceAction(row.name, 'start')} data-testid={`start-${row.name}`}>
              Start
            </button>
            <button disabled={off || !v.running} onClick={() => void serviceAction(row.name, 'stop')} data-testid={`stop-${row.name}`}>
              Stop
            </button>
            <button disabled={off} onClick={() => void serviceAction(row.name, 'restart')} data-testid={`restart-${row.name}`}>
              Restart
            </button>
          </div>
        </td>
      </tr>
      {action && (
        <tr className={`answer-row ${selected ? 'sel' : ''}`}>
          <td colSpan={COLUMNS} className="answer-cell" data-testid={`answer-${row.name}`}>
            {action.pending ? (
              <span className="busy-text">{action.action}…</span>
            ) : action.ok ? (
              <span className="ok-text">{action.message}</span>
            ) : (
              <>
                <span className="muted">{action.action} failed: </span>
                <ErrorText code={action.error?.code ?? 'INTERNAL'} message={action.error?.message} />
              </>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

export function ServicesView() {
  const services = useServices((s) => s.services);
  const staleSince = useConnection(selectStaleSince);
  const live = useConnection(selectLive);
  const me = useConnection((s) => s.username);
  const ticking = useNow(1000);
  // while the bus is gone, every age and uptime stands still at the moment it went: the last known
  const now = staleSince ?? ticking;
  const rows = useMemo(() => {
    const names = new Set<string>([...SERVICE_NAMES, ...Object.keys(services)]);
    return [...names].map((name) => services[name] ?? { name });
  }, [services]);
  const [selected, setSelected] = useState<string>(SERVICE_NAMES[0]);
  const running = rows.filter((r) => r.state?.state === 'running').length;
  const ctx: RowContext = { now, me };
  return (
    <div className="view services-view">
      <section className={`panel services-panel ${staleSince !== null ? 'stale' : ''}`} aria-labelledby="services-title">
        <header className="panel-head">
          <h2 id="services-title">Services</h2>
          <span className="muted">
            {running} of {rows.length} running
          </span>
          {staleSince !== null && (
            <span className="badge warn" data-testid="services-stale">
              last known · {formatClock(staleSince)}
            </span>
          )}
        </header>
        <BrokerNote />
        <div className="table-wrap">
          <table className="grid-table services-table">
            <thead>
              <tr>
                <th>Service</th>
                <th>State</th>
                <th className="num">Heartbeat</th>
                <th className="num">Msgs/s</th>
                <th className="num">Errors</th>
                <th className="num">p95</th>
                <th className="num">Restarts</th>
                <th>Control</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <Row
                  key={r.name}
                  row={r}
                  ctx={ctx}
                  stale={staleSince !== null}
                  live={live}
                  selected={r.name === selected}
                  onSelect={() => setSelected(r.name)}
                />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LogTail name={selected} />
    </div>
  );
}

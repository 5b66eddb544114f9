import { Fragment, useMemo, useState } from 'react';
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
  id,
  row,
  ctx,
  stale,
  live,
  selected,
  onSelect,
}: {
  /** the row's instance id: the service's name on the host, `<service>@<node>` on a service node */
  id: string;
  row: ServiceRow;
  ctx: RowContext;
  stale: boolean;
  live: boolean;
  selected: boolean;
  onSelect: () => void;
}) {
  const action = useServices((s) => s.actions[id]);
  const v = serviceRowView(row, ctx);
  const busy = action?.pending === true;
  const m = v.metrics;
  const off = !live || busy;
  return (
    <>
      <tr
        className={`${selected ? 'sel' : ''} ${stale ? 'stale' : ''}`}
        onClick={onSelect}
        data-testid={`service-${id}`}
        data-state={v.state}
      >
        <td className="name">
          <button className="link-button" onClick={onSelect} aria-pressed={selected} title={`Show the log of ${row.name}`}>
            {row.name}
          </button>
          <div className="sub mono" data-testid={`pid-${id}`}>
            {v.pid === null ? 'no process' : v.thread === null ? `pid ${v.pid}` : `pid ${v.pid} · shared, thread ${v.thread}`}
          </div>
        </td>
        <td className="state">
          <span className={`badge ${v.cls}`} data-testid={`state-${id}`} title={stale ? 'last known state' : undefined}>
            {v.state}
          </span>
          {v.detail && (
            <div className="sub" data-testid={`detail-${id}`}>
              {v.detail}
            </div>
          )}
        </td>
        <td className="num" data-testid={`hb-${id}`}>
          {v.heartbeatAge === null ? '—' : v.heartbeatAge < 1000 ? 'just now' : `${formatDuration(v.heartbeatAge)} ago`}
        </td>
        <td className="num" data-testid={`rate-${id}`}>
          {m ? formatRate(m.in_per_s + m.out_per_s) : '—'}
        </td>
        <td className={`num ${m && m.errors > 0 ? 'bad' : ''}`}>{m?.errors ?? '—'}</td>
        <td className="num">{m && m.handler_latency_ms.count > 0 ? `${m.handler_latency_ms.p95.toFixed(1)} ms` : '—'}</td>
        <td className="num">{row.state?.restarts ?? '—'}</td>
        <td className="actions" onClick={(e) => e.stopPropagation()}>
          <div className="action-buttons">
            <button disabled={off || v.running} onClick={() => void serviceAction(row.name, 'start', row.node)} data-testid={`start-${id}`}>
              Start
            </button>
            <button disabled={off || !v.running} onClick={() => void serviceAction(row.name, 'stop', row.node)} data-testid={`stop-${id}`}>
              Stop
            </button>
            <button disabled={off} onClick={() => void serviceAction(row.name, 'restart', row.node)} data-testid={`restart-${id}`}>
              Restart
            </button>
          </div>
        </td>
      </tr>
      {action && (
        <tr className={`answer-row ${selected ? 'sel' : ''}`}>
          <td colSpan={COLUMNS} className="answer-cell" data-testid={`answer-${id}`}>
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

/** The heading row of one machine's services: the host's, or a service node's (`alicia node`). */
function NodeHead({ name, detail }: { name: string; detail: string }) {
  return (
    <tr className="node-head" data-testid={`node-${name}`}>
      <th colSpan={COLUMNS} scope="rowgroup">
        {name}
        {detail && <span className="badge warn">{detail}</span>}
      </th>
    </tr>
  );
}

export function ServicesView() {
  const services = useServices((s) => s.services);
  const nodes = useServices((s) => s.nodes);
  const staleSince = useConnection(selectStaleSince);
  const live = useConnection(selectLive);
  const me = useConnection((s) => s.username);
  const ticking = useNow(1000);
  // while the bus is gone, every age and uptime stands still at the moment it went: the last known
  const now = staleSince ?? ticking;
  // the host's rows (services keyed by their name), then each service node's (by instance id)
  const rows = useMemo(() => {
    const names = new Set<string>([...SERVICE_NAMES, ...Object.keys(services).filter((k) => services[k]?.node === undefined)]);
    return [...names].map((name) => services[name] ?? { name });
  }, [services]);
  const nodeGroups = useMemo(
    () =>
      Object.entries(nodes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([node, info]) => ({ node, info, rows: info.instances.map((id) => ({ id, row: services[id] ?? { name: id, node } })) })),
    [nodes, services],
  );
  const [selected, setSelected] = useState<string>(SERVICE_NAMES[0]);
  const all = [...rows, ...nodeGroups.flatMap((g) => g.rows.map((r) => r.row))];
  const running = all.filter((r) => r.state?.state === 'running').length;
  const ctx: RowContext = { now, me };
  return (
    <div className="view services-view">
      <section className={`panel services-panel ${staleSince !== null ? 'stale' : ''}`} aria-labelledby="services-title">
        <header className="panel-head">
          <h2 id="services-title">Services</h2>
          <span className="muted">
            {running} of {all.length} running
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
              {nodeGroups.length > 0 && <NodeHead name="this host" detail="" />}
              {rows.map((r) => (
                <Row
                  key={r.name}
                  id={r.name}
                  row={r}
                  ctx={ctx}
                  stale={staleSince !== null}
                  live={live}
                  selected={r.name === selected}
                  onSelect={() => setSelected(r.name)}
                />
              ))}
              {nodeGroups.map((g) => (
                <Fragment key={`node-${g.node}`}>
                  <NodeHead name={`node ${g.node}`} detail={g.info.online ? '' : 'offline'} />
                  {g.rows.map(({ id, row }) => (
                    <Row
                      key={id}
                      id={id}
                      row={row}
                      ctx={ctx}
                      stale={staleSince !== null || !g.info.online}
                      live={live && g.info.online}
                      selected={false}
                      onSelect={() => setSelected(row.name)}
                    />
                  ))}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LogTail name={selected} />
    </div>
  );
}

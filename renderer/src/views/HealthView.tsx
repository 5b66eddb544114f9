import { useMemo } from 'react';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { useNow } from '../components/useNow.js';
import { formatDuration, formatRate, formatTime } from '../model/format.js';
import { formatBytes } from '../model/payload.js';
import { useHealth } from '../stores/healthStore.js';
import { BridgesPanel } from './BridgesPanel.js';
import { BrokerNote } from './BrokerNote.js';
import { HealthCharts } from './HealthCharts.js';
import { HostInfo } from './HostInfo.js';
import { WindowSessionsPanel } from './WindowSessionsPanel.js';
import './HealthView.css';

export function HealthView() {
  const aggregate = useHealth((s) => s.aggregate);
  const alerts = useHealth((s) => s.alerts);
  const broker = useHealth((s) => s.broker);
  const host = useHealth((s) => s.host);
  const now = useNow(2000);
  const names = useMemo(() => {
    const set = new Set<string>([...SERVICE_NAMES, ...Object.keys(aggregate?.services ?? {})]);
    return [...set];
  }, [aggregate]);
  return (
    <div className="view health-view">
      <section className="panel">
        <header className="panel-head">
          <h2>Services</h2>
          <span
            className={`badge ${aggregate?.overall === 'healthy' ? 'ok' : aggregate?.overall === 'degraded' ? 'warn' : aggregate?.overall === 'down' ? 'bad' : 'muted'}`}
            data-testid="overall"
          >
            {aggregate?.overall ?? 'no report yet'}
          </span>
        </header>
        <div className="cards">
          {names.map((n) => {
            const s = aggregate?.services[n];
            const cls = s?.status === 'healthy' ? 'ok' : s?.status === 'degraded' ? 'warn' : s?.status === 'down' ? 'bad' : 'muted';
            return (
              <div key={n} className={`hcard ${cls}`} data-testid={`health-${n}`}>
                <div className="hname">{n}</div>
                <div className={`badge ${cls}`}>{s?.status ?? 'unknown'}</div>
                <div className="small muted">
                  {s?.last_heartbeat ? `heartbeat ${formatDuration(Math.max(0, now - s.last_heartbeat))} ago` : 'no heartbeat seen'}
                  {s && s.missed > 0 ? ` · ${s.missed} missed` : ''}
                </div>
                {s?.reason && <div className="small bad">{s.reason}</div>}
              </div>
            );
          })}
        </div>
      </section>
      <HealthCharts names={names} />
      <WindowSessionsPanel now={now} />
      <BridgesPanel now={now} />
      <div className="health-bottom">
        <section className="panel">
          <header className="panel-head">
            <h2>Broker</h2>
            {broker && <span className="muted">up {formatDuration(broker.uptime_ms)}</span>}
          </header>
          {broker ? (
            <dl className="kv" data-testid="broker-stats">
              <dt>Clients</dt>
              <dd>{broker.clients}</dd>
              <dt>Subscriptions</dt>
              <dd>{broker.subscriptions}</dd>
              <dt>Messages in / out</dt>
              <dd>
                {formatRate(broker.messages_in_per_s)}/s · {formatRate(broker.messages_out_per_s)}/s
              </dd>
              <dt>Bytes in / out</dt>
              <dd>
                {formatBytes(broker.bytes_in_per_s)}/s · {formatBytes(broker.bytes_out_per_s)}/s
              </dd>
              <dt>Totals</dt>
              <dd>
                {broker.messages_in.toLocaleString()} in · {broker.messages_out.toLocaleString()} out · {formatBytes(broker.bytes_in)} in
              </dd>
              <dt>Denied</dt>
              <dd>
                {broker.denied_publish} publish · {broker.denied_subscribe} subscribe
              </dd>
              {broker.retained !== undefined && (
                <>
                  <dt>Retained</dt>
                  <dd>{broker.retained}</dd>
                </>
              )}
            </dl>
          ) : (
            <div className="empty small">No broker stats received yet ($SYS/alicia/broker/stats).</div>
          )}
          <BrokerNote />
          {/* the LAN certificate fingerprint, for pinning on devices */}
          <HostInfo host={host} />
        </section>
        <section className="panel alerts">
          <header className="panel-head">
            <h2>Alerts</h2>
            <span className="muted">{alerts.length}</span>
          </header>
          <ul className="alert-list" data-testid="alerts">
            {alerts.map((a) => (
              <li key={a.id} className={a.severity}>
                <span className="ts">{formatTime(a.ts)}</span>
                <span className={`badge ${a.severity === 'critical' ? 'bad' : a.severity === 'warning' ? 'warn' : 'muted'}`}>
                  {a.alert.replace('_', ' ')}
                </span>
                <b>{a.service}</b> {a.message}
              </li>
            ))}
            {alerts.length === 0 && <li className="empty small">No alerts since the window opened.</li>}
          </ul>
        </section>
      </div>
    </div>
  );
}

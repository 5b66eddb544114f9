import { useMemo } from 'react';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { useNow } from '../components/useNow.js';
import { formatDuration, formatRate } from '../model/format.js';
import { formatBytes } from '../model/payload.js';
import { selectStaleSince, useConnection } from '../stores/connectionStore.js';
import { useHealth } from '../stores/healthStore.js';
import { AlertsPanel } from './health/AlertsPanel.js';
import { ServiceHealthCards } from './health/ServiceHealthCards.js';
import { BridgesPanel } from './BridgesPanel.js';
import { BrokerNote } from './BrokerNote.js';
import { HealthCharts } from './HealthCharts.js';
import { HostInfo } from './HostInfo.js';
import { WindowSessionsPanel } from './WindowSessionsPanel.js';
import './HealthView.css';

export function HealthView() {
  const aggregate = useHealth((s) => s.aggregate);
  const broker = useHealth((s) => s.broker);
  const host = useHealth((s) => s.host);
  const staleSince = useConnection(selectStaleSince);
  const ticking = useNow(2000);
  // while the bus is gone, ages stand still at the moment it went: the last known
  const now = staleSince ?? ticking;
  const names = useMemo(() => {
    const set = new Set<string>([...SERVICE_NAMES, ...Object.keys(aggregate?.services ?? {})]);
    return [...set];
  }, [aggregate]);
  return (
    <div className="view health-view">
      <ServiceHealthCards names={names} now={now} staleSince={staleSince} />
      <HealthCharts names={names} />
      <WindowSessionsPanel now={now} />
      <BridgesPanel now={now} />
      <div className="health-bottom">
        <section className={`panel broker ${staleSince !== null ? 'stale' : ''}`}>
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
        <AlertsPanel />
      </div>
    </div>
  );
}

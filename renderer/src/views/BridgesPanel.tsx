import { formatDuration } from '../model/format.js';
import { useBridges, type BridgeState } from '../stores/bridgesStore.js';
import './BridgesPanel.css';

const STATE_BADGE: Record<BridgeState['state'], string> = { connected: 'ok', connecting: 'warn', reconnecting: 'bad', stopped: 'muted' };

/**
 * The bridges to the user's own brokers (config broker.bridges; each publishes its state on
 * alicia/system/bridge/<name>): connection, what it carried each way, the echoes it refused to carry
 * back, and the filters it holds now. Nothing is shown on a host without bridges.
 */
export function BridgesPanel({ now }: { now: number }) {
  const bridges = useBridges((s) => s.bridges);
  const list = Object.values(bridges).sort((a, b) => a.name.localeCompare(b.name));
  if (list.length === 0) return null;
  return (
    <section className="panel bridges" data-testid="bridges">
      <header className="panel-head">
        <h2>Bridges</h2>
        <span className="muted">{list.length}</span>
      </header>
      <div className="table-wrap">
        <table className="grid-table">
          <thead>
            <tr>
              <th>Bridge</th>
              <th>Upstream broker</th>
              <th>State</th>
              <th className="num">In</th>
              <th className="num">Out</th>
              <th className="num" title="messages not carried back where they came from">
                Loops stopped
              </th>
              <th className="num">Failed</th>
              <th className="num">Reconnects</th>
              <th>Following</th>
            </tr>
          </thead>
          <tbody>
            {list.map((b) => (
              <tr key={b.name} data-testid={`bridge-${b.name}`}>
                <td className="name">{b.name}</td>
                <td className="mono small">{b.url}</td>
                <td>
                  <span className={`badge ${STATE_BADGE[b.state]}`} data-testid={`bridge-state-${b.name}`}>
                    {b.state}
                  </span>
                  <div className="muted small bridge-since">
                    for {formatDuration(Math.max(0, now - b.since))}
                    {b.retry_in_ms !== undefined && b.state !== 'connected' ? ` · retry in ${formatDuration(b.retry_in_ms)}` : ''}
                  </div>
                  {b.last_error && b.state !== 'connected' && <div className="small bad">{b.last_error}</div>}
                </td>
                <td className="num">{b.counters.bridged_in.toLocaleString()}</td>
                <td className="num">{b.counters.bridged_out.toLocaleString()}</td>
                <td className="num">{b.counters.loops_dropped.toLocaleString()}</td>
                <td className="num">{b.counters.failed.toLocaleString()}</td>
                <td className="num">{b.counters.reconnects}</td>
                <td className="small" title={`in: ${b.filters.in.join(', ')}\nout: ${b.filters.out.join(', ')}`}>
                  {b.filters.in.length} in · {b.filters.out.length} out
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

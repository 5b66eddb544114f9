import { formatClock, formatDuration } from '../../model/format.js';
import { serviceRowView } from '../../model/serviceRow.js';
import { useConnection } from '../../stores/connectionStore.js';
import { useHealth } from '../../stores/healthStore.js';
import { useServices } from '../../stores/servicesStore.js';

const STATUS_CLASS: Record<string, string> = { healthy: 'ok', degraded: 'warn', down: 'bad', stopped: 'muted', unknown: 'muted' };

/**
 * One card per service from the health monitor's aggregate: its status, its last heartbeat, and
 * why. A service stopped on request says by whom and when (from the supervisor's state, as the
 * Services view does). While the bus is gone, everything is the last known, greyed.
 */
export function ServiceHealthCards({ names, now, staleSince }: { names: string[]; now: number; staleSince: number | null }) {
  const aggregate = useHealth((s) => s.aggregate);
  const rows = useServices((s) => s.services);
  const me = useConnection((s) => s.username);
  const overall = aggregate?.overall;
  return (
    <section className={`panel service-health ${staleSince !== null ? 'stale' : ''}`} aria-labelledby="health-services-title">
      <header className="panel-head">
        <h2 id="health-services-title">Services</h2>
        <span className={`badge ${overall ? (STATUS_CLASS[overall] ?? 'muted') : 'muted'}`} data-testid="overall">
          {overall ?? 'no report yet'}
        </span>
        {staleSince !== null && (
          <span className="badge warn" data-testid="health-stale">
            last known · {formatClock(staleSince)}
          </span>
        )}
      </header>
      <div className="cards">
        {names.map((n) => {
          const s = aggregate?.services[n];
          const cls = STATUS_CLASS[s?.status ?? 'unknown'] ?? 'muted';
          const row = rows[n];
          const stopped = s?.status === 'stopped' && row?.state ? serviceRowView(row, { now, me }).detail : null;
          return (
            <div key={n} className={`hcard ${cls}`} data-testid={`health-${n}`} data-status={s?.status ?? 'unknown'}>
              <div className="hname">{n}</div>
              <div className={`badge ${cls}`}>{s?.status ?? 'unknown'}</div>
              <div className="small muted">
                {s?.status === 'stopped'
                  ? 'no process'
                  : s?.last_heartbeat
                    ? `heartbeat ${formatDuration(Math.max(0, now - s.last_heartbeat))} ago`
                    : 'no heartbeat seen'}
                {s && s.missed > 0 && s.status !== 'stopped' ? ` · ${s.missed} missed` : ''}
              </div>
              {stopped ? (
                <div className="small" data-testid={`health-reason-${n}`}>
                  {stopped}
                </div>
              ) : (
                s?.reason && (
                  <div
                    className={`small ${cls === 'bad' ? 'bad' : cls === 'warn' ? 'warn-text' : 'muted'}`}
                    data-testid={`health-reason-${n}`}
                  >
                    {s.reason}
                  </div>
                )
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}

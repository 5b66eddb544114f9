import { formatDuration, formatTime } from '../model/format.js';
import { useHealth } from '../stores/healthStore.js';

/**
 * On the user's own broker (`alicia serve --broker URL`; the host record's `broker`): which broker,
 * how the window reaches it, that the embedded broker's own stats are absent, and when the host last
 * lost it and got it back (services reconnect by themselves; their rows show it). Nothing beside the
 * embedded broker, whose stats panel says it all.
 */
export function BrokerNote() {
  const broker = useHealth((s) => s.host?.broker);
  if (!broker || broker.mode !== 'external') return null;
  const via = broker.window === 'proxy' ? "through the host's proxy" : "through the broker's own WebSocket listener";
  const last = broker.last_outage;
  return (
    <div className="empty small" role="status" data-testid="broker-note">
      <div>
        On your own broker <span className="mono">{broker.url}</span> (this window connects {via}). Alicia's embedded broker is not running,
        so its stats ($SYS/alicia/broker/stats) are absent.
      </div>
      {last && (
        <div data-testid="broker-outage">
          Broker connection lost at {formatTime(last.lost_at)} and back at {formatTime(last.restored_at)} after{' '}
          {formatDuration(last.restored_at - last.lost_at)}
          {broker.outages && broker.outages > 1 ? ` (${broker.outages} outages since the host started)` : ''}; the services reconnected on
          their own.
        </div>
      )}
    </div>
  );
}

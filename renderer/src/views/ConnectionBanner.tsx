import { useNow } from '../components/useNow.js';
import { formatDuration, formatClock } from '../model/format.js';
import { useConnection } from '../stores/connectionStore.js';

/**
 * Says, over every view, that the bus is gone: since when, that the window keeps retrying, and
 * that what the views show is the last known state with their controls off. Then, once connected
 * again, that it is catching up (the retained state is read again), until it is current.
 */
export function ConnectionBanner() {
  const status = useConnection((s) => s.status);
  const lostAt = useConnection((s) => s.lostAt);
  const attempts = useConnection((s) => s.attempts);
  const retryMs = useConnection((s) => s.retryMs);
  const reason = useConnection((s) => s.lostReason);
  const resyncing = useConnection((s) => s.resyncing);
  const away = status !== 'connected' && status !== 'signed-out' && lostAt !== null;
  const now = useNow(1000);
  if (status === 'connected' && resyncing && lostAt !== null) {
    return (
      <div className="banner conn-banner busy" role="status" data-testid="connection-banner" data-state="resyncing">
        <b>Connected again.</b> Reading the current state of every service and device…
      </div>
    );
  }
  if (!away) return null;
  return (
    <div className="banner conn-banner bad" role="alert" data-testid="connection-banner" data-state="lost">
      <div>
        <b>The connection to the Alicia host is lost</b> since {formatClock(lostAt)} (
        {now - lostAt < 1000 ? 'just now' : `${formatDuration(now - lostAt)} ago`}). Retrying every {Math.round(retryMs / 1000)} s
        {attempts > 0 ? ` (attempt ${attempts})` : ''}.
      </div>
      <div className="small">
        What you see is the last known state; controls are off until the connection is back.
        {reason ? <span className="conn-reason"> Last error: {reason}</span> : null}
      </div>
    </div>
  );
}

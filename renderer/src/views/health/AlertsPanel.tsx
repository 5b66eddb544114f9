import { useState } from 'react';
import { acknowledgeAlert, acknowledgeAll } from '../../actions/alertActions.js';
import { formatTime } from '../../model/format.js';
import { useConnection } from '../../stores/connectionStore.js';
import { useHealth } from '../../stores/healthStore.js';
import type { HealthAlert } from '../../stores/healthStore.js';

/** What each kind of alert is, in words. */
const KIND_WORDS: Record<HealthAlert['alert'], string> = {
  service_down: 'down',
  service_recovered: 'back',
  service_stopped: 'stopped',
  service_started: 'started',
  error_rate: 'errors',
  slow_handler: 'slow',
  degraded: 'degraded',
};

const SEVERITY_CLASS: Record<HealthAlert['severity'], string> = { critical: 'bad', warning: 'warn', info: 'muted' };

/** The health monitor's alerts since the window opened, newest first; each can be acknowledged. */
export function AlertsPanel() {
  const alerts = useHealth((s) => s.alerts);
  const acked = useHealth((s) => s.acked);
  const me = useConnection((s) => s.username);
  const [hideAcked, setHideAcked] = useState(false);
  // the monitor names who asked for a stop by principal; this window's own is "you"
  const words = (message: string) => (me ? message.replace(`(${me})`, '(by you)') : message);
  const open = alerts.filter((a) => !acked[a.id]).length;
  const shown = hideAcked ? alerts.filter((a) => !acked[a.id]) : alerts;
  return (
    <section className="panel alerts" aria-labelledby="alerts-title">
      <header className="panel-head alerts-head">
        <h2 id="alerts-title">Alerts</h2>
        <span className={`badge ${open > 0 ? 'warn' : 'muted'}`} data-testid="alerts-open">
          {open} new
        </span>
        <span className="muted small">{alerts.length} since the window opened</span>
        <div className="buttons">
          <label className="check small">
            <input type="checkbox" checked={hideAcked} onChange={(e) => setHideAcked(e.target.checked)} /> hide acknowledged
          </label>
          <button onClick={acknowledgeAll} disabled={open === 0} data-testid="alerts-ack-all">
            Acknowledge all
          </button>
        </div>
      </header>
      <ul className="alert-list" data-testid="alerts">
        {shown.map((a) => {
          const ackedAt = acked[a.id];
          return (
            <li
              key={a.id}
              className={`${a.severity} ${ackedAt ? 'acked' : ''}`}
              data-testid="alert"
              data-alert={a.alert}
              data-service={a.service}
            >
              <span className="ts">{formatTime(a.ts).slice(0, 8)}</span>
              <span className={`badge ${SEVERITY_CLASS[a.severity]}`} title={`${a.severity}: ${a.alert}`}>
                {KIND_WORDS[a.alert] ?? a.alert}
              </span>
              <span className="alert-text">{words(a.message)}</span>
              {ackedAt ? (
                <span className="muted small alert-acked">seen {formatTime(ackedAt).slice(0, 5)}</span>
              ) : (
                <button
                  className="alert-ack"
                  onClick={() => acknowledgeAlert(a.id)}
                  aria-label={`Acknowledge: ${words(a.message)}`}
                  data-testid="alert-ack"
                >
                  Acknowledge
                </button>
              )}
            </li>
          );
        })}
        {shown.length === 0 && (
          <li className="empty small">{alerts.length === 0 ? 'No alerts since the window opened.' : 'Every alert is acknowledged.'}</li>
        )}
      </ul>
    </section>
  );
}

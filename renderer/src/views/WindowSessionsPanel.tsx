import { endWindowSession } from '../actions/windowSessionActions.js';
import { formatDuration, formatTime } from '../model/format.js';
import { describeUserAgent } from '../model/userAgent.js';
import { useConnection } from '../stores/connectionStore.js';
import { useHealth } from '../stores/healthStore.js';
import type { WindowSession } from '../stores/healthStore.js';

/**
 * The open window sessions (alicia/system/window/sessions, published by the host only): each
 * signed-in browser and the desktop app's window, with its own broker credential. "End" revokes
 * another one's credential and closes its connections; this window's own row says "this window"
 * (the topbar's "Sign out" ends it).
 */
export function WindowSessionsPanel({ now }: { now: number }) {
  const list = useHealth((s) => s.windowSessions);
  const own = useConnection((s) => s.sessionId);
  // this window first, then the newest
  const sessions = list
    ? [...list.sessions].sort((a, b) => Number(b.id === own) - Number(a.id === own) || b.created_at - a.created_at)
    : [];
  return (
    <section className="panel window-sessions" data-testid="window-sessions">
      <header className="panel-head">
        <h2>Window sessions</h2>
        <span className="muted">{list ? sessions.length : ''}</span>
        {list && (
          <span className="muted small hint-right">a browser with no open window for {formatIdle(list.idle_minutes)} is signed out</span>
        )}
      </header>
      {list ? (
        <div className="table-wrap">
          <table className="grid-table">
            <thead>
              <tr>
                <th>Session</th>
                <th>Browser</th>
                <th>Address</th>
                <th className="num">Signed in</th>
                <th className="num">Last seen</th>
                <th>Connection</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <SessionRow key={s.id} s={s} own={s.id === own} now={now} />
              ))}
              {sessions.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty small">
                    No window is signed in.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      ) : (
        <div className="empty small">No session list received yet (alicia/system/window/sessions).</div>
      )}
    </section>
  );
}

/** window.session_idle_minutes as a person says it: "30 min", "45 s", "2 h". */
function formatIdle(minutes: number): string {
  if (minutes < 2) return `${Math.round(minutes * 60)} s`;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  return `${Math.round(minutes / 6) / 10} h`;
}

function SessionRow({ s, own, now }: { s: WindowSession; own: boolean; now: number }) {
  const action = useHealth((st) => st.sessionActions[s.id]);
  const connected = s.connections > 0;
  return (
    <tr className={own ? 'sel' : ''} data-testid={`window-session-${s.id}`} data-own={own ? 'true' : undefined}>
      <td className="name">
        {s.id.slice(0, 8)}
        {own && <span className="badge busy session-tag">this window</span>}
        {s.kind === 'app' && <span className="badge session-tag">desktop app</span>}
      </td>
      <td title={s.user_agent}>{s.kind === 'app' ? 'Alicia desktop app' : describeUserAgent(s.user_agent)}</td>
      <td className="mono small">{s.remote || '—'}</td>
      <td className="num" title={new Date(s.created_at).toLocaleString()}>
        {formatTime(s.created_at).slice(0, 8)}
      </td>
      <td className="num">{connected || now - s.last_seen < 5000 ? 'now' : `${formatDuration(now - s.last_seen)} ago`}</td>
      <td>
        <span className={`badge ${connected ? 'ok' : 'muted'}`}>
          {connected ? `connected${s.connections > 1 ? ` ×${s.connections}` : ''}` : 'not connected'}
        </span>
      </td>
      <td className="actions">
        {!own && (
          <button
            className="danger"
            disabled={action?.pending === true}
            onClick={() => void endWindowSession(s.id)}
            data-testid={`end-session-${s.id}`}
          >
            End
          </button>
        )}
        {action?.ok === false && (
          <span className="small bad" title={action.message}>
            {action.message}
          </span>
        )}
      </td>
    </tr>
  );
}

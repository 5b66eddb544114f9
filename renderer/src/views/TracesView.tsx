import { useEffect, useMemo, useState } from 'react';
import { loadSessions, loadTrace } from '../actions/traceActions.js';
import { ExportControl } from '../components/ExportControl.js';
import { MessageDialog } from '../components/MessageDialog.js';
import { formatDuration, formatTime } from '../model/format.js';
import { formatBytes } from '../model/payload.js';
import { waterfall } from '../model/sessions.js';
import type { SessionSummary, TraceMessage } from '../model/sessions.js';
import { useConnection } from '../stores/connectionStore.js';
import { useTraces } from '../stores/tracesStore.js';
import './TracesView.css';

const STAGE_COLOR: Record<string, string> = { stt: '--c1', ai: '--c2', device: '--c3', tts: '--c4' };

function outcome(s: SessionSummary): { text: string; cls: string } {
  if (s.ok === null) return { text: s.stage ? `running · ${s.stage}` : 'running', cls: 'busy' };
  if (s.ok) return { text: 'ok', cls: 'ok' };
  return { text: s.error?.code ?? 'failed', cls: 'bad' };
}

function Waterfall({ s }: { s: SessionSummary }) {
  const bars = waterfall(s);
  if (bars.length === 0) return <div className="empty small">No stage timings for this session.</div>;
  const end = Math.max(s.total_ms ?? 0, ...bars.map((b) => b.start + b.duration), 1);
  return (
    <div className="waterfall" data-testid="waterfall">
      {bars.map((b) => (
        <div key={b.stage} className="wf-row">
          <span className="wf-label">{b.stage}</span>
          <div className="wf-track">
            <div
              className={`wf-bar ${b.failed ? 'failed' : ''}`}
              style={{
                left: `${(b.start / end) * 100}%`,
                width: `max(2px, ${(b.duration / end) * 100}%)`,
                background: `var(${STAGE_COLOR[b.stage]})`,
              }}
              title={`${b.stage}: starts at ${Math.round(b.start)} ms, takes ${Math.round(b.duration)} ms`}
            />
          </div>
          <span className="wf-ms num">{formatDuration(b.duration)}</span>
        </div>
      ))}
      <div className="wf-row total">
        <span className="wf-label">total</span>
        <div className="wf-track" />
        <span className="wf-ms num">{formatDuration(s.total_ms ?? end)}</span>
      </div>
    </div>
  );
}

/** Typed or spoken, as an icon with its word for screen readers and a tooltip. */
function InputKind({ input, withText = false }: { input: SessionSummary['input']; withText?: boolean }) {
  if (input === null) return null;
  const word = input === 'audio' ? 'spoken' : 'typed';
  return (
    <span className={`input-kind ${input}`} title={word} data-testid="input-kind" data-input={input}>
      {/* drawn, not an emoji: a machine without an emoji font shows boxes */}
      <svg viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
        {input === 'audio' ? (
          <path d="M8 1.5a2.5 2.5 0 0 0-2.5 2.5v4a2.5 2.5 0 0 0 5 0V4A2.5 2.5 0 0 0 8 1.5zM3.5 7.5a.75.75 0 0 1 1.5 0 3 3 0 0 0 6 0 .75.75 0 0 1 1.5 0 4.5 4.5 0 0 1-3.75 4.44V14h1.5a.75.75 0 0 1 0 1.5h-4.5a.75.75 0 0 1 0-1.5h1.5v-2.06A4.5 4.5 0 0 1 3.5 7.5z" />
        ) : (
          <path d="M1.5 4A1.5 1.5 0 0 1 3 2.5h10A1.5 1.5 0 0 1 14.5 4v8a1.5 1.5 0 0 1-1.5 1.5H3A1.5 1.5 0 0 1 1.5 12V4zm2 1v1.5H5V5H3.5zm2.75 0v1.5h1.5V5h-1.5zm2.75 0v1.5h1.5V5H9zm2.75 0v1.5h.75V5h-.75zM3.5 7.75v1.5H5v-1.5H3.5zm8.25 0v1.5h.75v-1.5h-.75zM5 10.25v1.25h6v-1.25H5z" />
        )}
      </svg>
      {withText ? <span> {word}</span> : <span className="sr-only">{word}</span>}
    </span>
  );
}

function Detail({ s }: { s: SessionSummary }) {
  const detail = useTraces((st) => (s.trace_id ? st.details[s.trace_id] : undefined));
  const [opened, setOpened] = useState<TraceMessage | null>(null);
  useEffect(() => {
    if (s.trace_id) void loadTrace(s.trace_id);
    // reload once the session finishes so every message is in
  }, [s.trace_id, s.ok]);
  return (
    <div className="detail" data-testid="trace-detail">
      <header className="detail-head">
        <h2>{s.transcription || s.command_text || <span className="muted">(no transcription)</span>}</h2>
        <div className="meta">
          <span className={`badge ${outcome(s).cls}`}>{outcome(s).text}</span>
          <InputKind input={s.input} withText />
          <span>{new Date(s.time).toLocaleString()}</span>
          {s.intent && <span>intent {s.intent}</span>}
          <span className="mono muted small">trace {s.trace_id ?? '—'}</span>
        </div>
      </header>
      {s.error && (
        <div className="error-box" data-testid="trace-error">
          <b>{s.error.code}</b> in {s.stage ?? 'unknown stage'}: {s.error.message}
        </div>
      )}
      {s.response_text && (
        <p className="reply">
          <span className="muted">Reply:</span> {s.response_text}
        </p>
      )}
      <Waterfall s={s} />
      <div className="trace-msgs-head">
        <h3>Messages of this trace{detail && detail.messages.length > 0 ? ` (${detail.messages.length})` : ''}</h3>
        {s.trace_id && <ExportControl what={{ trace: s.trace_id }} label="Export trace" />}
      </div>
      {!s.trace_id ? (
        <div className="empty small">This session has no trace id.</div>
      ) : detail?.error ? (
        <div className="bad small">Recorder: {detail.error}</div>
      ) : (
        <table className="grid-table msgs selectable" data-testid="trace-messages">
          <thead>
            <tr>
              <th>Time</th>
              <th>Topic</th>
              <th>Source</th>
              <th className="num">Size</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {(detail?.messages ?? []).map((m, i) => (
              <tr
                key={m.row ?? i}
                tabIndex={0}
                onClick={() => setOpened(m)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    setOpened(m);
                  }
                }}
                title="open this message"
                data-testid="trace-message"
              >
                <td className="mono">{formatTime(m.time)}</td>
                <td className="mono">{m.topic}</td>
                <td>{m.source ?? '—'}</td>
                <td className="num" data-testid="trace-message-size">
                  {formatBytes(m.size)}
                  {m.truncated ? ' (cut)' : ''}
                </td>
                <td className="mono clip payload-cell">{m.summary}</td>
              </tr>
            ))}
            {detail?.loading && (
              <tr>
                <td colSpan={5} className="muted">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {opened && <MessageDialog message={opened} onClose={() => setOpened(null)} />}
    </div>
  );
}

export function TracesView() {
  const sessions = useTraces((s) => s.sessions);
  const selected = useTraces((s) => s.selected);
  const loading = useTraces((s) => s.historyLoading);
  const error = useTraces((s) => s.historyError);
  const connected = useConnection((s) => s.status === 'connected');
  useEffect(() => {
    if (connected) void loadSessions();
  }, [connected]);
  const list = useMemo(() => Object.values(sessions).sort((a, b) => b.time - a.time), [sessions]);
  const sel = selected ? sessions[selected] : undefined;
  return (
    <div className="view split-view">
      <section className="panel list-pane">
        <header className="panel-head">
          <h2>Voice sessions</h2>
          <span className="muted">{list.length}</span>
          <button onClick={() => void loadSessions()} disabled={loading}>
            {loading ? 'Loading…' : 'Reload'}
          </button>
        </header>
        {error && <div className="bad small pad">History unavailable: {error}. Live sessions still appear.</div>}
        <div className="table-wrap">
          <table className="grid-table selectable" data-testid="sessions">
            <thead>
              <tr>
                <th>Time</th>
                <th>Transcription</th>
                <th>Intent</th>
                <th>Outcome</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => {
                const o = outcome(s);
                return (
                  <tr
                    key={s.key}
                    className={s.key === selected ? 'sel' : ''}
                    onClick={() => useTraces.setState({ selected: s.key })}
                    data-testid="session-row"
                    data-trace={s.trace_id ?? undefined}
                  >
                    <td className="mono">{formatTime(s.time)}</td>
                    <td className="clip">
                      <InputKind input={s.input} /> {s.transcription || s.command_text || '—'}
                    </td>
                    <td>{s.intent ?? '—'}</td>
                    <td>
                      <span className={`badge ${o.cls}`}>{o.text}</span>
                    </td>
                    <td className="num">{formatDuration(s.total_ms)}</td>
                  </tr>
                );
              })}
              {list.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    No voice sessions yet. Try the Voice view.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel detail-pane">
        {sel ? <Detail s={sel} /> : <div className="detail empty">Select a session to see its waterfall and messages.</div>}
      </section>
    </div>
  );
}

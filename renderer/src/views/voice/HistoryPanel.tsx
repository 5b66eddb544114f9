import { replayReply, undo } from '../../actions/voiceActions.js';
import { formatDuration } from '../../model/format.js';
import { errorBadge, errorInWords } from '../../model/voiceWords.js';
import { useVoice } from '../../stores/voiceStore.js';
import type { HistoryEntry } from '../../stores/voiceStore.js';

function confidenceOf(e: HistoryEntry): number | null {
  const c = (e.result.stt as { confidence?: unknown } | undefined)?.confidence;
  return typeof c === 'number' ? c : null;
}

function Entry({ e, canUndo, latest }: { e: HistoryEntry; canUndo: boolean; latest: boolean }) {
  const r = e.result;
  const conf = confidenceOf(e);
  const badge = r.stage === 'confirm' && r.ok ? 'asks' : r.ok ? 'ok' : errorBadge(r.error?.code);
  return (
    <li
      className={`turn ${r.ok ? '' : 'failed'}`}
      data-testid={latest ? 'voice-result' : 'history-entry'}
      data-ok={String(r.ok)}
      data-stage={r.stage ?? ''}
    >
      <div className="turn-head">
        <span className="turn-source small muted">{e.typed ? 'typed' : 'said'}</span>
        <span className="turn-heard" data-testid={latest ? 'transcription' : undefined}>
          {e.heard || <span className="muted">(nothing understood)</span>}
        </span>
        {conf !== null && (
          <span className="small muted" title="recognition confidence" data-testid={latest ? 'confidence' : undefined}>
            {Math.round(conf * 100)} %
          </span>
        )}
        <span
          className={`badge ${r.stage === 'confirm' && r.ok ? 'warn' : r.ok ? 'ok' : 'bad'}`}
          title={r.error?.code}
          data-testid={latest ? 'error-code' : undefined}
          data-code={r.error?.code}
        >
          {badge}
        </span>
      </div>
      <div className="turn-reply" data-testid={latest ? 'reply' : undefined}>
        {r.ok ? r.response_text || '—' : errorInWords(r)}
      </div>
      <div className="turn-meta small muted">
        <span data-testid={latest ? 'intent' : undefined}>{r.intent ? r.intent.name : 'no intent'}</span>
        {r.devices?.map((d) => (
          <span key={d.device_id} className="chip" title={JSON.stringify(d.params)}>
            {d.name}: {d.action.replaceAll('_', ' ')}
          </span>
        ))}
        <span>total {formatDuration(r.timings.total_ms)}</span>
        {r.timings.endpoint_ms !== undefined && <span>end of speech heard after {formatDuration(r.timings.endpoint_ms)}</span>}
        {r.audio_data && (
          <button
            className="ghost small"
            onClick={() => replayReply(e.id)}
            title="play the spoken reply"
            aria-label="play the spoken reply"
          >
            ▶
          </button>
        )}
        {canUndo && (
          <button className="small" onClick={() => void undo(e.id)} data-testid="undo">
            Undo
          </button>
        )}
        {e.undone && <span className="badge">undone</span>}
      </div>
    </li>
  );
}

/** The conversation, newest first: what was heard, how sure, the reply, the devices touched; undo for the last device action. */
export function HistoryPanel() {
  const history = useVoice((s) => s.history);
  const lastDeviceEntry = history.find((h) => (h.result.devices?.length ?? 0) > 0);
  return (
    <section className="panel voice-history" data-testid="history">
      <header className="panel-head">
        <h2>Conversation</h2>
        <span className="small muted">{history.length ? `${history.length} so far` : ''}</span>
      </header>
      {history.length === 0 ? (
        <div className="empty small" data-testid="history-empty">
          Nothing said yet. Click the microphone and say “turn on the kitchen light”.
        </div>
      ) : (
        <ol className="turns">
          {history.map((e, i) => (
            <Entry key={e.id} e={e} latest={i === 0} canUndo={e === lastDeviceEntry && !e.undone} />
          ))}
        </ol>
      )}
    </section>
  );
}

import { useRef, useState } from 'react';
import { replayReply, sendText, setHolding, startListening, stopListening } from '../actions/voiceActions.js';
import { formatDuration } from '../model/format.js';
import { useConnection } from '../stores/connectionStore.js';
import { useVoice } from '../stores/voiceStore.js';
import './VoiceView.css';

/** How long the button must be held to count as push-to-talk rather than a click. */
const HOLD_MS = 350;

function MicButton() {
  const mic = useVoice((s) => s.mic);
  const level = useVoice((s) => s.level);
  const connected = useConnection((s) => s.status === 'connected');
  const [downAt, setDownAt] = useState<number | null>(null);
  const downAtRef = useRef<number | null>(null);
  const listening = mic === 'listening' || mic === 'starting';
  const busy = mic === 'sending' || mic === 'waiting';
  const label = listening
    ? 'Listening… (click to stop, or just stop speaking)'
    : busy
      ? 'Working…'
      : 'Click to talk, or hold to push-to-talk';
  return (
    <div className="mic-wrap">
      <button
        className={`mic ${listening ? 'live' : ''} ${busy ? 'busy' : ''}`}
        disabled={!connected || busy}
        aria-label={label}
        title={label}
        data-testid="mic"
        data-state={mic}
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          if (listening) {
            void stopListening();
            return;
          }
          setDownAt(Date.now());
          void startListening();
          // if still held after HOLD_MS it is push-to-talk: silence must not end it
          const t0 = Date.now();
          setTimeout(() => {
            if (downAtRef.current === t0) setHolding(true);
          }, HOLD_MS);
          downAtRef.current = t0;
        }}
        onPointerUp={() => {
          const held = downAt !== null && Date.now() - downAt >= HOLD_MS;
          downAtRef.current = null;
          setDownAt(null);
          if (held) void stopListening();
        }}
        onKeyDown={(e) => {
          if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
            e.preventDefault();
            if (listening) void stopListening();
            else void startListening();
          }
        }}
      >
        <svg viewBox="0 0 24 24" width="34" height="34" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z"
          />
        </svg>
      </button>
      <div
        className="meter"
        role="meter"
        aria-label="input level"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(level * 100)}
        data-testid="level"
      >
        <div className="meter-fill" style={{ width: `${Math.round(level * 100)}%` }} />
      </div>
      <div className="small muted">{label}</div>
    </div>
  );
}

export function VoiceView() {
  const micError = useVoice((s) => s.micError);
  const notice = useVoice((s) => s.notice);
  const result = useVoice((s) => s.lastResult);
  const stage = useVoice((s) => s.stage);
  const mic = useVoice((s) => s.mic);
  const [text, setText] = useState('');
  const busy = mic === 'sending' || mic === 'waiting';
  return (
    <div className="view voice-view">
      <section className="panel voice-main">
        <MicButton />
        {micError && (
          <div className="error-box" data-testid="mic-error">
            {micError}
          </div>
        )}
        <form
          className="typed"
          onSubmit={(e) => {
            e.preventDefault();
            sendText(text);
            setText('');
          }}
        >
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Or type a command: turn on the kitchen light"
            aria-label="typed command"
            data-testid="typed-command"
            disabled={busy}
          />
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            Send
          </button>
        </form>
        {(busy || stage) && <div className="small busy-text">{stage ? `Session: ${stage}` : 'Sending…'}</div>}
        {notice && <div className="small warn-text">{notice}</div>}
      </section>
      <section className="panel voice-result" data-testid="voice-result" data-ok={result ? String(result.ok) : ''}>
        <header className="panel-head">
          <h2>Last command</h2>
          {result && <span className={`badge ${result.ok ? 'ok' : 'bad'}`}>{result.ok ? 'ok' : (result.error?.code ?? 'failed')}</span>}
        </header>
        {result ? (
          <dl className="kv wide">
            <dt>Heard</dt>
            <dd data-testid="transcription">{result.transcription || <span className="muted">(nothing understood)</span>}</dd>
            <dt>Intent</dt>
            <dd data-testid="intent">
              {result.intent ? (
                <>
                  <b>{result.intent.name}</b>{' '}
                  <span className="mono small muted">
                    {Object.keys(result.intent.slots).length ? JSON.stringify(result.intent.slots) : ''}
                  </span>
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>Reply</dt>
            <dd data-testid="reply">{result.response_text || '—'}</dd>
            {result.error && (
              <>
                <dt>Error</dt>
                <dd className="bad">
                  {result.error.code} in {result.stage ?? '?'}: {result.error.message}
                </dd>
              </>
            )}
            <dt>Timings</dt>
            <dd className="small">
              stt {formatDuration(result.timings.stt_ms)} · ai {formatDuration(result.timings.ai_ms)} · device{' '}
              {formatDuration(result.timings.device_ms)} · tts {formatDuration(result.timings.tts_ms)} · total{' '}
              {formatDuration(result.timings.total_ms)}
            </dd>
            {result.audio_data && (
              <>
                <dt>Spoken reply</dt>
                <dd>
                  <button onClick={replayReply}>▶ Play again</button>
                </dd>
              </>
            )}
          </dl>
        ) : (
          <div className="empty small">Nothing said yet. Press the microphone and say “turn on the kitchen light”.</div>
        )}
      </section>
    </div>
  );
}

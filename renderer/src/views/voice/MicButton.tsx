import { useRef } from 'react';
import { startListening, stopListening } from '../../actions/voiceActions.js';
import { useConnection } from '../../stores/connectionStore.js';
import { useVoice } from '../../stores/voiceStore.js';

/** How long the button must be held to count as push-to-talk rather than a click. */
const HOLD_MS = 350;

const LABELS: Record<string, string> = {
  idle: 'Click and speak: I stop listening by myself. Or hold to talk.',
  starting: 'Opening the microphone…',
  listening: 'Listening… (I stop when you stop speaking; click to stop now)',
  sending: 'Finishing…',
  waiting: 'Working…',
  unavailable: 'The microphone is not available',
};

/**
 * The microphone: a click starts a capture that ends itself on silence; holding it is
 * push-to-talk (only the release ends it). The level meter shows what the microphone hears.
 */
export function MicButton() {
  const mic = useVoice((s) => s.mic);
  const level = useVoice((s) => s.level);
  const answering = useVoice((s) => s.question !== null && !s.question.typed);
  const connected = useConnection((s) => s.status === 'connected');
  const downAt = useRef<number | null>(null);
  const holdTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const live = mic === 'listening' || mic === 'starting';
  const busy = mic === 'sending' || mic === 'waiting';
  const label = live && answering ? 'Listening for yes or no…' : (LABELS[mic] ?? '');
  return (
    <div className="mic-wrap">
      <button
        className={`mic ${live ? 'live' : ''} ${busy ? 'busy' : ''}`}
        disabled={!connected || busy}
        aria-label={label}
        title={label}
        data-testid="mic"
        data-state={mic}
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          if (live) {
            void stopListening();
            return;
          }
          const t0 = Date.now();
          downAt.current = t0;
          // held past HOLD_MS: push-to-talk, so silence must not end it (a click starts on release)
          holdTimer.current = setTimeout(() => {
            if (downAt.current !== t0) return;
            downAt.current = -1;
            void startListening({ hold: true, answer: answering });
          }, HOLD_MS);
        }}
        onPointerUp={() => {
          if (holdTimer.current) clearTimeout(holdTimer.current);
          const held = downAt.current === -1;
          downAt.current = null;
          if (held) void stopListening();
          else if (!live) void startListening({ answer: answering });
        }}
        onPointerLeave={() => {
          if (downAt.current === -1) void stopListening();
          downAt.current = null;
        }}
        onKeyDown={(e) => {
          if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
            e.preventDefault();
            if (live) void stopListening();
            else void startListening({ answer: answering });
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
        aria-label="microphone level"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(level * 100)}
        data-testid="level"
        data-level={level.toFixed(2)}
      >
        <div className="meter-fill" style={{ width: `${Math.round(level * 100)}%` }} />
      </div>
      <div className="small muted mic-label">{label}</div>
    </div>
  );
}

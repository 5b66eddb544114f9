import { setHandsFree } from '../../actions/handsFree.js';
import { setMuted } from '../../actions/voiceActions.js';
import { useVoice } from '../../stores/voiceStore.js';

/** Hands-free (off by default) with the indicator that the microphone is open, and the mute switch. */
export function VoiceSwitches() {
  const handsFree = useVoice((s) => s.handsFree);
  const woke = useVoice((s) => s.woke);
  const muted = useVoice((s) => s.muted);
  const mic = useVoice((s) => s.mic);
  const open = handsFree || mic === 'listening' || mic === 'starting';
  return (
    <div className="voice-switches">
      <label className="check" title="Stream the microphone to Alicia and wait for the wake word “Alicia”">
        <input type="checkbox" checked={handsFree} onChange={(e) => void setHandsFree(e.target.checked)} data-testid="hands-free" />
        Hands-free (say “Alicia”)
      </label>
      <label className="check" title="Do not play the spoken replies">
        <input type="checkbox" checked={muted} onChange={(e) => setMuted(e.target.checked)} data-testid="mute" />
        Mute replies
      </label>
      <div className={`mic-indicator ${open ? 'on' : ''}`} data-testid="mic-indicator" data-open={String(open)} aria-live="polite">
        <span className="dot" />
        {!open
          ? 'Microphone off'
          : woke
            ? 'Heard “Alicia”: listening to your command'
            : handsFree
              ? 'Microphone on: waiting for “Alicia”'
              : 'Microphone on'}
      </div>
    </div>
  );
}

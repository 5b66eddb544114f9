import { answerQuestion } from '../../actions/voiceActions.js';
import { useNow } from '../../components/useNow.js';
import { useVoice } from '../../stores/voiceStore.js';

/**
 * A risky command waits for a yes ("Unlock the front door?"). Spoken commands are answered by
 * voice (the microphone reopens for yes/no); the buttons work either way. No answer in time = no.
 */
export function ConfirmBar() {
  const question = useVoice((s) => s.question);
  const now = useNow(250);
  if (!question) return null;
  const left = Math.max(0, Math.ceil((question.expiresAt - now) / 1000));
  return (
    <div className="confirm-bar" role="alertdialog" aria-label="confirm" data-testid="confirm-bar">
      <div className="confirm-question" data-testid="confirm-question">
        {question.question}
      </div>
      <div className="small muted">
        {question.typed ? 'Nothing happens until you confirm.' : 'Say “yes” or “no”, or use the buttons.'}{' '}
        {left > 0 ? `${left} s left; no answer means no.` : 'No answer: nothing was done.'}
      </div>
      <div className="buttons">
        <button className="primary" data-testid="confirm-yes" onClick={() => answerQuestion(true)} disabled={left === 0}>
          Yes, do it
        </button>
        <button data-testid="confirm-no" onClick={() => answerQuestion(false)} disabled={left === 0}>
          No
        </button>
      </div>
    </div>
  );
}

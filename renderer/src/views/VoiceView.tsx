import { useEffect, useState } from 'react';
import { sendText } from '../actions/voiceActions.js';
import { prepareMic } from '../audio/micCapture.js';
import { useVoice } from '../stores/voiceStore.js';
import { ConfirmBar } from './voice/ConfirmBar.js';
import { ExamplesPanel } from './voice/ExamplesPanel.js';
import { HistoryPanel } from './voice/HistoryPanel.js';
import { MicButton } from './voice/MicButton.js';
import { VoiceSwitches } from './voice/VoiceSwitches.js';
import './VoiceView.css';

export function VoiceView() {
  const micError = useVoice((s) => s.micError);
  const notice = useVoice((s) => s.notice);
  const stage = useVoice((s) => s.stage);
  const mic = useVoice((s) => s.mic);
  const [text, setText] = useState('');
  const busy = mic === 'sending' || mic === 'waiting';
  // the audio graph is made before the first click, so the first words are not lost (micCapture.ts)
  useEffect(() => prepareMic(), []);
  return (
    <div className="view voice-view">
      <section className="panel voice-main">
        <MicButton />
        <VoiceSwitches />
        <ConfirmBar />
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
            placeholder="Or type a command"
            aria-label="typed command"
            data-testid="typed-command"
            disabled={busy}
          />
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            Send
          </button>
        </form>
        {busy && <div className="small busy-text">{stage ? `Working: ${stage}` : 'Working…'}</div>}
        {notice && (
          <div className="notice" data-testid="voice-notice" role="status">
            {notice}
          </div>
        )}
      </section>
      <div className="voice-side">
        <HistoryPanel />
        <ExamplesPanel />
      </div>
    </div>
  );
}

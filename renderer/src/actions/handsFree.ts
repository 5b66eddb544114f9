import { newId } from '../../../services/lib/protocol/envelope.js';
import { TARGET_RATE, micErrorText, openMic } from '../audio/micCapture.js';
import type { MicCapture } from '../audio/micCapture.js';
import { pcmToBase64 } from '../audio/pcmChunker.js';
import { publishMessage } from '../bus/connection.js';
import { onVoiceMessage } from '../bus/voiceFeed.js';
import { useVoice } from '../stores/voiceStore.js';
import { showResult } from './voiceActions.js';

/**
 * Hands-free: while the switch is on, the microphone streams continuously to
 * alicia/voice/listen/<site>, where stt listens for the wake word. Nothing of that stream is kept
 * (the recorder and this window's topic tree skip it); on a wake, stt announces a session and the
 * speech after the wake word becomes that session, whose result arrives here like any other.
 */
let mic: MicCapture | null = null;
let seq = 0;
let trace = '';
/** sessions stt started after hearing the wake word at this site */
const wakeSessions = new Set<string>();

/** This window's site id, kept across reloads so its listen topic stays the same. */
function siteId(): string {
  let id = localStorage.getItem('alicia.voice.site');
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = `window-${newId().slice(0, 8)}`;
    localStorage.setItem('alicia.voice.site', id);
  }
  return id;
}

export async function setHandsFree(on: boolean): Promise<void> {
  if (on === (mic !== null)) return;
  if (!on) {
    const m = mic;
    mic = null;
    useVoice.setState({ handsFree: false, woke: false, level: 0 });
    await m?.close();
    return;
  }
  const site_id = siteId();
  seq = 0;
  trace = newId();
  useVoice.setState({ handsFree: true, micError: null });
  try {
    mic = await openMic({
      onChunk: (pcm) => {
        const body = { site_id, seq: seq++, rate: TARGET_RATE, width: 2 as const, channels: 1 as const, pcm: pcmToBase64(pcm) };
        publishMessage('alicia/voice/listen/+', body, { params: [site_id], trace_id: trace }).catch(() => {
          // QoS 0 and lossy by design: stt resets its detector on a gap
        });
      },
      onLevel: (level) => {
        if (useVoice.getState().mic === 'idle') useVoice.setState({ level });
      },
    });
  } catch (e) {
    mic = null;
    useVoice.setState({ handsFree: false, micError: micErrorText(e) });
  }
}

onVoiceMessage((m) => {
  if (!mic) return;
  if (m.topic === 'alicia/voice/event') {
    if (m.msg.type === 'wake' && m.msg.site_id === siteId()) {
      wakeSessions.add(m.msg.session_id);
      useVoice.setState({ woke: true, notice: null });
    } else if (m.msg.type === 'endpoint' && wakeSessions.has(m.msg.session_id)) {
      useVoice.setState({ woke: false, mic: 'waiting', pendingSession: m.msg.session_id });
    }
    return;
  }
  if (wakeSessions.delete(m.msg.session_id)) {
    useVoice.setState({ woke: false });
    showResult(m.msg, false);
  }
});

import { newId } from '../../../services/lib/protocol/envelope.js';
import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import { TARGET_RATE, startMic, micErrorText } from '../audio/micRecorder.js';
import type { EndReason, MicSession } from '../audio/micRecorder.js';
import { refusedReply, request } from '../bus/connection.js';
import { bytesToBase64 } from '../model/payload.js';
import { encodeWav } from '../model/wav.js';
import { useVoice } from '../stores/voiceStore.js';
import type { VoiceResult } from '../stores/voiceStore.js';

/**
 * The voice pipeline from the window: capture -> WAV -> alicia/voice/command -> the voice router's
 * alicia/voice/result (transcription, intent, reply text and the spoken reply as base64 WAV).
 */
let mic: MicSession | null = null;
/** push-to-talk: the button is held, so silence must not end the recording */
let holding = false;
/** released before the microphone finished starting */
let stopWhenReady = false;
let replyAudio: HTMLAudioElement | null = null;

function playReply(result: VoiceResult): void {
  if (!result.audio_data) return;
  replyAudio?.pause();
  replyAudio = new Audio(`data:audio/wav;base64,${result.audio_data}`);
  replyAudio.play().catch(() => {
    /* autoplay may be blocked until the page had a gesture; the Voice view offers a play button */
  });
}

/**
 * One conversation per window while the user keeps talking: the router keeps context per session, so
 * "turn it off" after "turn on the kitchen light" works. After a pause a new conversation starts
 * (like a smart speaker that stops listening for follow-ups).
 */
const CONVERSATION_IDLE_MS = 2 * 60_000;
let conversation: { id: string; lastAt: number } | null = null;

function conversationId(now = Date.now()): string {
  if (!conversation || now - conversation.lastAt > CONVERSATION_IDLE_MS) conversation = { id: `win-${newId()}`, lastAt: now };
  conversation.lastAt = now;
  return conversation.id;
}

async function send(body: { audio_data?: string; text?: string }): Promise<void> {
  const session_id = conversationId();
  useVoice.setState({ mic: 'waiting', pendingSession: session_id, stage: 'sent', notice: null });
  try {
    const full = body.audio_data
      ? {
          session_id,
          audio_data: body.audio_data,
          format: { container: 'wav' as const, sample_rate: TARGET_RATE, channels: 1, bits: 16 as const },
        }
      : { session_id, text: body.text ?? '' };
    const r = await request('alicia/voice/command', full, { timeoutMs: 30_000, session_id, what: 'voice command' });
    useVoice.setState({ lastResult: r, mic: 'idle', pendingSession: null, stage: null });
    playReply(r);
  } catch (e) {
    // The router answers failures on alicia/voice/result with ok:false: keep that full result.
    const reply = refusedReply('alicia/voice/command', e);
    if (reply) {
      useVoice.setState({ lastResult: reply, mic: 'idle', pendingSession: null, stage: null });
      playReply(reply);
    } else {
      useVoice.setState({
        mic: 'idle',
        pendingSession: null,
        stage: null,
        notice: isAliciaError(e) ? `${e.code}: ${e.message}` : (e as Error).message,
      });
    }
  }
}

function onAudio(reason: EndReason, audio: Float32Array): void {
  mic = null;
  useVoice.setState({ level: 0 });
  if (reason === 'no_speech') {
    useVoice.setState({ mic: 'idle', notice: 'No speech was heard. Try again closer to the microphone.' });
    return;
  }
  if (audio.length < TARGET_RATE * 0.2) {
    useVoice.setState({ mic: 'idle', notice: 'The recording was too short.' });
    return;
  }
  useVoice.setState({ mic: 'sending' });
  void send({ audio_data: bytesToBase64(encodeWav(audio, TARGET_RATE)) });
}

/**
 * Start listening. Click-to-start ends by itself on silence; while `setHolding(true)` (push-to-talk)
 * silence is ignored and the release ends it.
 */
export async function startListening(): Promise<void> {
  const st = useVoice.getState().mic;
  if (mic || st === 'starting' || st === 'sending' || st === 'waiting') return;
  stopWhenReady = false;
  useVoice.setState({ mic: 'starting', micError: null, notice: null });
  try {
    mic = await startMic({
      autoEnd: () => !holding,
      onLevel: (level) => useVoice.setState({ level }),
      onAutoEnd: onAudio,
    });
    useVoice.setState({ mic: 'listening' });
    if (stopWhenReady) await stopListening();
  } catch (e) {
    mic = null;
    useVoice.setState({ mic: 'unavailable', micError: micErrorText(e) });
  }
}

/** Stop listening now (release of push-to-talk, or a second click) and send what was heard. */
export async function stopListening(): Promise<void> {
  holding = false;
  const m = mic;
  if (!m) {
    if (useVoice.getState().mic === 'starting') stopWhenReady = true;
    return;
  }
  mic = null;
  const audio = await m.stop();
  onAudio('stopped', audio);
}

export function setHolding(h: boolean): void {
  holding = h;
}

export function sendText(text: string): void {
  const t = text.trim();
  if (!t) return;
  void send({ text: t });
}

export function replayReply(): void {
  const r = useVoice.getState().lastResult;
  if (r) playReply(r);
}

import { newId } from '../../../services/lib/protocol/envelope.js';
import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import { CHUNK_MS, TARGET_RATE, micErrorText, openMic } from '../audio/micCapture.js';
import type { MicCapture } from '../audio/micCapture.js';
import { pcmToBase64 } from '../audio/pcmChunker.js';
import { awaitVoiceResult, forgetVoiceResult, publishMessage, refusedReply, request } from '../bus/connection.js';
import { onVoiceMessage } from '../bus/voiceFeed.js';
import { undoSession } from '../model/undo.js';
import { errorInWords } from '../model/voiceWords.js';
import { MAX_HISTORY, useVoice } from '../stores/voiceStore.js';
import type { VoiceResult } from '../stores/voiceStore.js';

/**
 * The voice pipeline from the window: the microphone streams 100 ms chunks on
 * alicia/voice/audio/<session> while the user speaks; stt decodes them as they arrive and ends the
 * utterance itself on silence (its endpoint event closes the microphone), or the user's second
 * click / release of push-to-talk ends it with a `final` chunk. The voice router answers on
 * alicia/voice/result with the first chunk's correlation id. Typed commands and the question
 * buttons go through alicia/voice/command.
 */

/** The longest a click-to-talk capture stays open if no endpoint comes (stt ends it at 10 s itself). */
const MAX_CAPTURE_MS = 15_000;
/** From the first chunk to the result: the utterance, its tail, ai, device and tts. */
const RESULT_TIMEOUT_MS = 40_000;

interface Capture {
  mic: MicCapture | null;
  session_id: string;
  trace_id: string;
  correlation_id: string;
  seq: number;
  /** push-to-talk held: silence does not end it */
  hold: boolean;
  /** listening for the answer to a question: yes/no only */
  answer: boolean;
  closing: boolean;
  stopRequested: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}
let capture: Capture | null = null;
/** correlation ids of results this window awaits through request()/awaitVoiceResult (not handled twice) */
const awaited = new Set<string>();

let replyAudio: HTMLAudioElement | null = null;

/** Play a result's spoken reply (unless muted); resolves when it has finished or could not play. */
function playReply(result: VoiceResult): Promise<void> {
  replyAudio?.pause();
  replyAudio = null;
  if (!result.audio_data || useVoice.getState().muted) return Promise.resolve();
  const audio = new Audio(`data:audio/wav;base64,${result.audio_data}`);
  replyAudio = audio;
  return new Promise((resolve) => {
    audio.onended = () => resolve();
    audio.onerror = () => resolve();
    // autoplay may be blocked until the page had a gesture; the history offers a play button
    audio.play().catch(() => resolve());
  });
}

export function setMuted(muted: boolean): void {
  localStorage.setItem('alicia.voice.muted', muted ? '1' : '0');
  if (muted) replyAudio?.pause();
  useVoice.setState({ muted });
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

/** A result arrived (awaited, or one the router sent by itself): history, question, spoken reply. */
export function showResult(r: VoiceResult, typed: boolean): void {
  const st = useVoice.getState();
  const entry = { id: `${r.session_id}-${r.id}`, at: Date.now(), heard: r.transcription, typed, result: r };
  const question =
    r.confirm && r.stage === 'confirm'
      ? { session_id: r.session_id, question: r.confirm.question, expiresAt: Date.now() + r.confirm.expires_in_ms, typed }
      : null;
  useVoice.setState({
    lastResult: r,
    history: [entry, ...st.history].slice(0, MAX_HISTORY),
    question,
    mic: 'idle',
    pendingSession: null,
    stage: null,
    notice: r.ok ? null : errorInWords(r),
    level: 0,
  });
  void playReply(r).then(() => {
    // a spoken command's question is answered by voice: listen for yes/no once it has been asked
    const q = useVoice.getState().question;
    if (question && !typed && q === question) void startListening({ answer: true });
  });
}

function failed(e: unknown, typed: boolean): void {
  const reply = refusedReply('alicia/voice/command', e);
  if (reply) {
    showResult(reply, typed);
    return;
  }
  useVoice.setState({
    mic: 'idle',
    pendingSession: null,
    stage: null,
    level: 0,
    notice:
      isAliciaError(e) && e.code === 'TIMEOUT' ? 'No answer from the voice service. Is it running? (Services view)' : (e as Error).message,
  });
}

async function command(body: { text: string } | { confirm: boolean }, session_id: string): Promise<void> {
  useVoice.setState({ mic: 'waiting', pendingSession: session_id, stage: 'sent', notice: null });
  try {
    showResult(
      await request('alicia/voice/command', { session_id, ...body }, { timeoutMs: 30_000, session_id, what: 'voice command' }),
      true,
    );
  } catch (e) {
    failed(e, true);
  }
}

export function sendText(text: string): void {
  const t = text.trim();
  if (t) void command({ text: t }, conversationId());
}

/** A question's button: yes or no, for the session that asked. */
export function answerQuestion(yes: boolean): void {
  const q = useVoice.getState().question;
  if (!q) return;
  if (capture?.answer) void cancelListening();
  useVoice.setState({ question: null });
  void command({ confirm: yes }, q.session_id);
}

function sendChunk(c: Capture, pcm: Int16Array, final: boolean): void {
  const seq = c.seq++;
  const body = {
    session_id: c.session_id,
    seq,
    rate: TARGET_RATE,
    width: 2 as const,
    channels: 1 as const,
    pcm: pcmToBase64(pcm),
    ...(final ? { final: true } : {}),
    ...(seq === 0 && c.hold ? { endpointing: false } : {}),
    ...(seq === 0 && c.answer ? { expect: 'answer' as const } : {}),
  };
  // mqtt.js sends publishes of one connection in order: chunks are not awaited one by one
  publishMessage('alicia/voice/audio/+', body, {
    params: [c.session_id],
    trace_id: c.trace_id,
    session_id: c.session_id,
    ...(seq === 0 ? { correlation_id: c.correlation_id } : {}),
  }).catch((e: unknown) => {
    useVoice.setState({ notice: `Audio could not be sent: ${(e as Error).message}` });
    void cancelListening();
  });
}

/**
 * Start listening. Click-to-talk ends by itself (stt hears the silence after the speech); with
 * `hold` (push-to-talk) only the release ends it; `answer` listens for yes/no to a question.
 */
export async function startListening(opts: { hold?: boolean; answer?: boolean } = {}): Promise<void> {
  const st = useVoice.getState().mic;
  if (capture || st === 'starting' || st === 'sending' || st === 'waiting') return;
  const q = useVoice.getState().question;
  const session_id = opts.answer && q ? q.session_id : conversationId();
  const c: Capture = {
    mic: null,
    session_id,
    trace_id: newId(),
    correlation_id: newId(),
    seq: 0,
    hold: opts.hold === true,
    answer: opts.answer === true,
    closing: false,
    stopRequested: false,
    timer: null,
  };
  capture = c;
  useVoice.setState({ mic: 'starting', micError: null, notice: null, pendingSession: session_id, stage: null });
  awaited.add(c.correlation_id);
  const result = awaitVoiceResult(c.correlation_id, RESULT_TIMEOUT_MS);
  result.then(
    (r) => {
      awaited.delete(c.correlation_id);
      void closeCapture(c, false);
      showResult(r, false);
    },
    (e: unknown) => {
      awaited.delete(c.correlation_id);
      void closeCapture(c, false);
      if (!(isAliciaError(e) && e.message === 'cancelled')) failed(e, false);
    },
  );
  try {
    c.mic = await openMic({
      onChunk: (pcm) => {
        if (c.closing) return;
        if (c.seq === 0) useVoice.setState({ mic: 'listening' });
        sendChunk(c, pcm, false);
      },
      onLevel: (level) => useVoice.setState({ level }),
    });
  } catch (e) {
    capture = null;
    forgetVoiceResult(c.correlation_id);
    useVoice.setState({ mic: 'unavailable', micError: micErrorText(e), pendingSession: null });
    return;
  }
  c.timer = setTimeout(() => void stopListening(), MAX_CAPTURE_MS);
  if (c.stopRequested) await stopListening();
}

/** Close the microphone; with `final`, send what is left as the last chunk (the user ended it). */
async function closeCapture(c: Capture, final: boolean): Promise<void> {
  if (c.closing) return;
  c.closing = true;
  if (c.timer) clearTimeout(c.timer);
  if (capture === c) capture = null;
  const rest = (await c.mic?.close()) ?? new Int16Array(0);
  if (!final) return;
  if (c.seq === 0) {
    // nothing was streamed yet: there is no session to end
    forgetVoiceResult(c.correlation_id);
    useVoice.setState({ mic: 'idle', level: 0, pendingSession: null, notice: 'The recording was too short.' });
    return;
  }
  sendChunk(c, rest.length <= (TARGET_RATE * CHUNK_MS) / 1000 ? rest : new Int16Array(0), true);
  useVoice.setState({ mic: 'sending', level: 0 });
}

/** Stop listening now (release of push-to-talk, or a second click): the utterance ends here. */
export async function stopListening(): Promise<void> {
  const c = capture;
  if (!c) return;
  if (!c.mic) {
    c.stopRequested = true;
    return;
  }
  await closeCapture(c, true);
}

/** Drop the capture without a session (a button answered the question meanwhile). */
async function cancelListening(): Promise<void> {
  const c = capture;
  if (!c) return;
  await closeCapture(c, false);
  forgetVoiceResult(c.correlation_id);
}

export function replayReply(entryId?: string): void {
  const st = useVoice.getState();
  const r = entryId ? st.history.find((h) => h.id === entryId)?.result : st.lastResult;
  if (r) {
    const muted = st.muted;
    useVoice.setState({ muted: false });
    void playReply(r).finally(() => useVoice.setState({ muted }));
  }
}

/** Undo the device changes of one history entry (the newest that changed a device, by default). */
export async function undo(entryId: string): Promise<void> {
  const entry = useVoice.getState().history.find((h) => h.id === entryId);
  if (!entry?.result.devices?.length || entry.undone) return;
  try {
    for (const cmd of undoSession(entry.result.devices)) {
      const r = await request('alicia/device/command', cmd, { timeoutMs: 5_000, what: `undo ${cmd.device_id}` });
      if (!r.ok) throw new Error(r.error?.message ?? `${cmd.device_id} refused ${cmd.action}`);
    }
    useVoice.setState((s) => ({ history: s.history.map((h) => (h.id === entryId ? { ...h, undone: true } : h)), notice: null }));
  } catch (e) {
    useVoice.setState({ notice: `Undo failed: ${(e as Error).message}` });
  }
}

// stt ends a streamed utterance by itself: close the microphone the moment it says so
onVoiceMessage((m) => {
  if (m.topic === 'alicia/voice/event') {
    const c = capture;
    if (m.msg.type === 'endpoint' && c && m.msg.session_id === c.session_id && m.msg.trace_id === c.trace_id) {
      void closeCapture(c, false).then(() => {
        if (useVoice.getState().mic === 'listening') useVoice.setState({ mic: 'waiting' });
      });
    }
    return;
  }
  // a result nobody here asked for, in this window's conversation: a question that expired
  const r = m.msg;
  if (r.correlation_id && awaited.has(r.correlation_id)) return;
  if (conversation && r.session_id === conversation.id && r.error?.code === 'VOICE_NOT_CONFIRMED') showResult(r, false);
});

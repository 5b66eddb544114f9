import type { MessageOf } from '../../../services/lib/protocol/topics.js';

/**
 * Voice events and results as they arrive, for the voice actions (a streamed command stops its
 * microphone on its endpoint event; hands-free hears its wake event). Synchronous, not once per
 * frame like the stores: the microphone should close the moment stt says the utterance ended.
 */
export type VoiceMessage =
  | { topic: 'alicia/voice/event'; msg: MessageOf<'alicia/voice/event'> }
  | { topic: 'alicia/voice/result'; msg: MessageOf<'alicia/voice/result'> };

type Listener = (m: VoiceMessage) => void;
const listeners = new Set<Listener>();

export function onVoiceMessage(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitVoiceMessage(m: VoiceMessage): void {
  for (const l of listeners) l(m);
}

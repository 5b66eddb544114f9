/**
 * What went wrong with a voice command, in words a person can act on. The voice router's own
 * sentence (response_text) comes first; these cover the codes it has none for.
 */
const WORDS: Record<string, string> = {
  STT_NOT_UNDERSTOOD: "I didn't catch that. Try again, a little closer to the microphone.",
  STT_NO_SPEECH: "I didn't hear anything. Is the microphone on and unmuted?",
  STT_CLIPPED: 'I missed the start of that. Wait for the red light, then speak.',
  STT_TOO_LONG: 'That was too long. Say one command at a time.',
  STT_STREAM_TIMEOUT: 'The audio stopped arriving. Check the connection and try again.',
  STT_STREAM_GAP: 'Some audio was lost on the way. Please say it again.',
  STT_STREAM_BUSY: 'Too many people are talking to Alicia at once. Try again in a moment.',
  STT_ENGINE_MISSING: 'Speech recognition did not start (see the Services view). Typed commands still work.',
  STT_TIMEOUT: 'Speech recognition took too long. Try again.',
  AI_NOT_UNDERSTOOD: "I heard you, but I don't know how to do that.",
  VOICE_NOT_CONFIRMED: 'No answer came, so nothing was done.',
  VOICE_NOTHING_TO_CONFIRM: 'There was no question waiting for an answer.',
  VOICE_BUSY: 'Alicia is busy. Try again in a moment.',
  DEVICE_OFFLINE: 'That device is offline.',
  DEVICE_TIMEOUT: "The device didn't answer.",
  CIRCUIT_OPEN: 'A voice service keeps failing; see the Services view.',
};

export function errorInWords(r: { response_text?: string; error?: { code: string; message: string } }): string {
  const code = r.error?.code ?? '';
  return r.response_text?.trim() || WORDS[code] || r.error?.message || 'Something went wrong.';
}

/** A failed turn's badge: two or three words, the code itself in the badge's title. */
const BADGES: Record<string, string> = {
  STT_NOT_UNDERSTOOD: 'not understood',
  AI_NOT_UNDERSTOOD: 'not understood',
  STT_NO_SPEECH: 'no speech',
  STT_CLIPPED: 'start missed',
  STT_TOO_LONG: 'too long',
  VOICE_NOT_CONFIRMED: 'not confirmed',
  DEVICE_OFFLINE: 'device offline',
  DEVICE_TIMEOUT: 'no answer',
};

export function errorBadge(code: string | undefined): string {
  return BADGES[code ?? ''] ?? 'failed';
}

import { ERROR_CODES } from '../../../services/lib/protocol/errors.js';
import type { ErrorCode } from '../../../services/lib/protocol/errors.js';

/**
 * Every error code of the protocol in words a person can act on. The code and the service's own
 * message stay available as a detail line (for a bug report, or a search in the logs); the words
 * come first. A Record over ErrorCode: a code added to services/lib/protocol/errors.ts without
 * words here does not compile (and errorWords.test.ts says which).
 */
export const ERROR_WORDS: Record<ErrorCode, string> = {
  BAD_JSON: 'The message was not valid JSON.',
  BAD_ENVELOPE: 'The message lacked the fields every Alicia message carries (id, time, source).',
  SCHEMA_INVALID: 'The message did not have the fields this topic expects.',
  UNSUPPORTED_VERSION: 'The message came from an incompatible version of Alicia.',
  PAYLOAD_TOO_LARGE: 'The message was too large to accept.',
  TIMEOUT: 'No answer came in time. The service may be stopped or busy.',
  CIRCUIT_OPEN: 'A service it depends on kept failing, so it stopped asking for a moment. See the Services view.',
  NOT_CONNECTED: 'The window is not connected to the Alicia host, so nothing was sent.',
  INTERNAL: 'Something went wrong inside a service. Its log in the Services view says more.',
  UNKNOWN_TOPIC: 'Nothing in Alicia handles that topic.',
  STT_BAD_AUDIO: 'The recording could not be read as audio.',
  STT_ENGINE_MISSING: 'Speech recognition is not installed on the host. Typed commands still work.',
  STT_ENGINE_FAILED: 'Speech recognition failed on this recording.',
  STT_TIMEOUT: 'Speech recognition took too long.',
  STT_NOT_UNDERSTOOD: 'The speech could not be made out. Try again, closer to the microphone.',
  STT_STREAM_GAP: 'Part of the recording was lost on the way, so it was not acted on. Try again.',
  STT_STREAM_FORMAT: 'The microphone changed its sound format in the middle of speaking. Try again.',
  STT_STREAM_TIMEOUT: 'The recording stopped arriving before it ended. Check the connection and try again.',
  STT_STREAM_BUSY: 'Too many people are speaking to Alicia at once. Try again in a moment.',
  STT_NO_SPEECH: 'No speech was heard. Speak after clicking the microphone.',
  STT_TOO_LONG: 'That went on too long for one command. Say one command at a time.',
  STT_CLIPPED: 'The start of what you said was cut off, so it was not acted on. Wait a moment after clicking, then speak.',
  AI_EMPTY_TEXT: 'There was nothing to understand: the command was empty.',
  AI_NOT_UNDERSTOOD: 'Alicia heard the words but does not know what to do with them.',
  AI_TIMEOUT: 'Understanding the command took too long.',
  AI_LLM_FAILED: 'The language model used for unusual commands did not answer.',
  TTS_EMPTY_TEXT: 'There was nothing to say.',
  TTS_TEXT_TOO_LONG: 'The text was too long to speak.',
  TTS_ENGINE_FAILED: 'Speech output failed.',
  TTS_TIMEOUT: 'Speech output took too long.',
  TTS_VOICE_UNKNOWN: 'That voice is not installed.',
  TTS_BUSY: 'Speech output is busy. Try again in a moment.',
  VOICE_BAD_REQUEST: 'The voice command was incomplete.',
  VOICE_BAD_AUDIO: 'The recording of the voice command could not be used.',
  VOICE_STAGE_FAILED: 'One step of the voice command failed.',
  VOICE_BUSY: 'Alicia is busy with another command. Try again in a moment.',
  VOICE_NOT_CONFIRMED: 'Nothing was done: the question was not answered with yes.',
  VOICE_NOTHING_TO_CONFIRM: 'There is no question waiting for an answer.',
  DEVICE_UNKNOWN: 'There is no such device.',
  DEVICE_BAD_ACTION: 'That device cannot do that.',
  DEVICE_BAD_PARAMS: 'That value is out of range for this device.',
  DEVICE_TIMEOUT: 'The device did not answer in time. It may be off or out of reach.',
  DEVICE_OFFLINE: 'The device is offline.',
  DEVICE_EXISTS: 'A device with that name already exists.',
  DEVICE_TIMEOUT_UPSTREAM: 'The device manager did not answer in time.',
  DEVICE_NAME_INVALID: 'That name cannot be used: voice would not hear it as written.',
  DEVICE_ROOM_INVALID: 'That room name cannot be used: voice would not hear it as written.',
  DEVICE_ALIAS_INVALID: 'One of the other names cannot be used: voice would not hear it as written.',
  DEVICE_NAME_TAKEN: 'Another device already answers to that name.',
  SERVICE_UNKNOWN: 'There is no service by that name.',
  SERVICE_BAD_ACTION: 'A service can only be started, stopped or restarted.',
  SERVICE_START_FAILED: 'The service did not start. Its log below says why.',
  UNKNOWN_NODE: 'No service node by that name has connected to this host.',
  RECORDER_BAD_QUERY: 'The history could not be searched that way.',
  RECORDER_NOT_FOUND: 'That is no longer in the recorded history.',
  RECORDER_TOO_LARGE: 'That is too much history for one answer. Choose a shorter time range.',
  CONFIG_INVALID: 'The configuration has an error.',
  BROKER_LISTEN_FAILED: 'The message broker could not open its port.',
  BROKER_UNREACHABLE: 'Your MQTT broker cannot be reached.',
  BROKER_REFUSED: 'Your MQTT broker refused the connection (user name, password or access rules).',
  BROKER_EXTERNAL: 'Alicia runs on your own broker: credentials are managed there, not here.',
  FORBIDDEN: 'This window is not allowed to do that.',
  WINDOW_SESSION_UNKNOWN: 'That window session has already ended.',
};

const KNOWN = new Set<string>(ERROR_CODES);

/** An error as a person reads it: words first, then the code and the service's message. */
export interface ErrorInWords {
  /** what happened, in words */
  words: string;
  /** the code and the original message, for the detail line: "DEVICE_TIMEOUT · no state on alicia/... within 3 s" */
  detail: string;
  code: string;
}

/**
 * Say an error in words. `code` may be one this window does not know (a newer service): then the
 * service's own message is the best there is, and the code still goes in the detail line.
 */
export function describeError(code: string, message?: string): ErrorInWords {
  const words = KNOWN.has(code) ? ERROR_WORDS[code as ErrorCode] : message?.trim() || 'Something went wrong.';
  const msg = message?.trim();
  const detail = msg && msg !== code && msg !== words ? `${code} · ${msg}` : code;
  return { words, detail, code };
}

/** describeError for anything thrown: an AliciaError-like `{ code, message }`, or any other error as INTERNAL. */
export function describeThrown(e: unknown): ErrorInWords {
  const o = e as { code?: unknown; message?: unknown } | null;
  if (o && typeof o.code === 'string') return describeError(o.code, typeof o.message === 'string' ? o.message : undefined);
  return describeError('INTERNAL', e instanceof Error ? e.message : String(e));
}

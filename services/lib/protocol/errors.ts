/**
 * Stable error codes. A code never changes meaning once shipped: the window, tests and external
 * tools match on it. Messages are for people and may change.
 */
export const ERROR_CODES = [
  // envelope / decoding (any receiver)
  'BAD_JSON',
  'BAD_ENVELOPE',
  'SCHEMA_INVALID',
  'UNSUPPORTED_VERSION',
  'PAYLOAD_TOO_LARGE',
  // runtime
  'TIMEOUT',
  'CIRCUIT_OPEN',
  'NOT_CONNECTED',
  'INTERNAL',
  'UNKNOWN_TOPIC',
  // stt
  'STT_BAD_AUDIO',
  'STT_ENGINE_MISSING',
  'STT_ENGINE_FAILED',
  'STT_TIMEOUT',
  'STT_NOT_UNDERSTOOD',
  // stt: streamed audio
  'STT_STREAM_GAP',
  'STT_STREAM_FORMAT',
  'STT_STREAM_TIMEOUT',
  'STT_STREAM_BUSY',
  'STT_NO_SPEECH',
  'STT_TOO_LONG',
  'STT_CLIPPED',
  // ai
  'AI_EMPTY_TEXT',
  'AI_NOT_UNDERSTOOD',
  'AI_TIMEOUT',
  'AI_LLM_FAILED',
  // tts
  'TTS_EMPTY_TEXT',
  'TTS_TEXT_TOO_LONG',
  'TTS_ENGINE_FAILED',
  'TTS_TIMEOUT',
  'TTS_VOICE_UNKNOWN',
  'TTS_BUSY',
  // voice router
  'VOICE_BAD_REQUEST',
  'VOICE_BAD_AUDIO',
  'VOICE_STAGE_FAILED',
  'VOICE_BUSY',
  'VOICE_NOT_CONFIRMED',
  'VOICE_NOTHING_TO_CONFIRM',
  // devices
  'DEVICE_UNKNOWN',
  'DEVICE_BAD_ACTION',
  'DEVICE_BAD_PARAMS',
  'DEVICE_TIMEOUT',
  'DEVICE_OFFLINE',
  'DEVICE_EXISTS',
  'DEVICE_TIMEOUT_UPSTREAM',
  // device registry edits (deviceNaming.ts): a name, room or alias that cannot be said, or one another device answers to
  'DEVICE_NAME_INVALID',
  'DEVICE_ROOM_INVALID',
  'DEVICE_ALIAS_INVALID',
  'DEVICE_NAME_TAKEN',
  // supervisor
  'SERVICE_UNKNOWN',
  'SERVICE_BAD_ACTION',
  'SERVICE_START_FAILED',
  // a supervisor request naming a node the host has not seen (no record, not connected)
  'UNKNOWN_NODE',
  // recorder
  'RECORDER_BAD_QUERY',
  'RECORDER_NOT_FOUND',
  'RECORDER_TOO_LARGE',
  // config
  'CONFIG_INVALID',
  // broker
  'BROKER_LISTEN_FAILED',
  // the user's own broker (alicia serve --broker): not reachable, refused a credential, or asked
  // for what only the embedded broker can do (issue a credential, rotate one)
  'BROKER_UNREACHABLE',
  'BROKER_REFUSED',
  'BROKER_EXTERNAL',
  // access: a principal asking for what its role may not do
  'FORBIDDEN',
  // window sessions
  'WINDOW_SESSION_UNKNOWN',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable detail (e.g. the failing schema path). Never secrets. */
  details?: unknown;
}

/** An Error with a stable code. Handlers throw these; the runtime turns them into error replies. */
export class AliciaError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AliciaError';
    this.code = code;
    this.details = details;
  }
  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAliciaError(e: unknown): e is AliciaError {
  return e instanceof AliciaError;
}

/** Any thrown value -> ErrorInfo; unknown errors become INTERNAL (message kept, stack never sent). */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof AliciaError) return e.toInfo();
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message };
}

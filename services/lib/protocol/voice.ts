import { z } from 'zod';
import { audioFormatSchema, base64Schema, errorInfoSchema } from './common.js';

/** A voice session id; it is also one level of the audio topic, so no '/', '+' or '#'. */
export const sessionIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !/[/+#]/.test(s) && !s.includes('\u0000'), 'a session id is one topic level');
/** A microphone's place ("kitchen", "window-3f2a"): one topic level of alicia/voice/listen/<site_id>. */
export const siteIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'site ids are letters, digits, _ and -');

/**
 * Streamed audio: one chunk every 20-200 ms while the user speaks. Raw little-endian 16-bit PCM
 * (`width` 2) at 8-48 kHz, mono or stereo, base64; `seq` counts from 0 without gaps. A stream's
 * rate/width/channels may not change after its first chunk. The bounds keep one message small
 * (200 ms of 48 kHz stereo is 38,400 bytes) and the count of messages per second sane (>= 20 ms).
 */
export const AUDIO_CHUNK_MIN_MS = 20;
export const AUDIO_CHUNK_MAX_MS = 200;
/** 10 minutes of 20 ms chunks: a bound on seq, not a limit anyone reaches (stt caps an utterance far sooner) */
export const AUDIO_MAX_SEQ = 30_000;
const MAX_CHUNK_BYTES = (48_000 * 2 * 2 * AUDIO_CHUNK_MAX_MS) / 1000;

const chunkFields = {
  seq: z.number().int().min(0).max(AUDIO_MAX_SEQ),
  rate: z.number().int().min(8000).max(48000),
  width: z.literal(2),
  channels: z.union([z.literal(1), z.literal(2)]),
  pcm: z
    .string()
    .max(Math.ceil(MAX_CHUNK_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
};

/** Bytes of a base64 string without decoding it. */
export function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

/** Duration of a chunk's PCM in ms (NaN when it is not whole frames). */
export function chunkMs(c: { rate: number; channels: number; width: number; pcm: string }): number {
  const bytes = base64Bytes(c.pcm);
  const frame = c.width * c.channels;
  if (c.pcm.length % 4 !== 0 || bytes % frame !== 0) return NaN;
  return ((bytes / frame) * 1000) / c.rate;
}

/** Every chunk but a stream's last lasts 20-200 ms; the last (final, or the one a stream stops on) may be shorter, even empty. */
const chunkDuration = (c: { rate: number; channels: number; width: number; pcm: string; final?: boolean }) => {
  const ms = chunkMs(c);
  return c.final === true ? ms >= 0 && ms <= AUDIO_CHUNK_MAX_MS : ms >= AUDIO_CHUNK_MIN_MS && ms <= AUDIO_CHUNK_MAX_MS;
};
const chunkMessage = {
  message: `pcm must be whole 16-bit frames lasting ${AUDIO_CHUNK_MIN_MS}-${AUDIO_CHUNK_MAX_MS} ms (the final chunk may be shorter)`,
};

/** alicia/voice/audio/<session_id>: the first chunk of a session id starts that session at the voice router. */
export const audioChunkSchema = z
  .looseObject({
    session_id: sessionIdSchema,
    ...chunkFields,
    /** the user let go: the utterance ends here (without it, stt ends it on silence) */
    final: z.boolean().optional(),
    /** on the first chunk, false: push-to-talk held down, only `final` ends the utterance (not silence) */
    endpointing: z.boolean().optional(),
    /** on the first chunk, "answer": the user answers the session's question, listened for as yes/no only */
    expect: z.enum(['command', 'answer']).optional(),
  })
  .refine(chunkDuration, chunkMessage);

/** alicia/voice/listen/<site_id>: hands-free, streamed continuously; never recorded; stt listens for the wake word. */
export const listenChunkSchema = z
  .looseObject({
    site_id: siteIdSchema,
    ...chunkFields,
  })
  .refine((c) => chunkDuration({ ...c, final: false }), chunkMessage);

export const sttRequestSchema = z
  .looseObject({
    audio_data: base64Schema.optional(),
    format: audioFormatSchema.optional(),
    /**
     * Transcribe a stream instead: the session id whose audio arrives on alicia/voice/audio/<id> (or,
     * after a wake word, on the listen stream). Answered when the utterance ends (final chunk or silence).
     */
    stream: sessionIdSchema.optional(),
    language: z.string().max(16).optional(),
  })
  .refine((r) => (r.audio_data === undefined) !== (r.stream === undefined), { message: 'give exactly one of audio_data or stream' });

/** How a streamed utterance ended, measured on the audio's own clock. */
export const endpointSchema = z.looseObject({
  /** "final": the client said so; "silence": stt heard the speech end */
  reason: z.enum(['final', 'silence']),
  /** audio from the start of the stream to the end of speech (the voice activity detector's last speech frame) */
  speech_end_ms: z.number().nonnegative(),
  /** audio between the end of speech and the end of the utterance (silence endpointing: the silence waited for) */
  endpoint_ms: z.number().nonnegative(),
  /** wall time from the utterance's end (last chunk handled) to the recognition result: the tail left to decode */
  tail_ms: z.number().nonnegative(),
});
export const sttResultSchema = z.looseObject({
  ok: z.literal(true),
  /** empty when not understood */
  transcription: z.string(),
  /** false for silence, noise and speech outside the grammar: never a confident wrong command */
  understood: z.boolean(),
  confidence: z.number().min(0).max(1),
  engine: z.string(),
  processing_ms: z.number().nonnegative(),
  audio_ms: z.number().nonnegative().optional(),
  /** streamed requests: how the utterance ended */
  endpoint: endpointSchema.optional(),
});

/** Retained by stt whenever its grammar changes. */
export const sttGrammarSchema = z.looseObject({
  signature: z.string(),
  words: z.number().int().nonnegative(),
  /** device names, rooms or templates left out: a word is not in the recogniser's dictionary */
  skipped: z.array(z.looseObject({ kind: z.string(), text: z.string(), missing: z.array(z.string()) })),
});

export const intentSchema = z.looseObject({
  name: z.string(),
  slots: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export const deviceActionSchema = z.looseObject({
  device_id: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
});

export const aiRequestSchema = z.looseObject({
  text: z.string().max(2000),
  /** conversation context kept by the voice router per session (last device, last intent) */
  context: z.record(z.string(), z.unknown()).optional(),
});
export const aiResponseSchema = z.looseObject({
  ok: z.literal(true),
  understood: z.boolean(),
  intent: intentSchema,
  /** device commands to run, in order */
  commands: z.array(deviceActionSchema),
  /** reply to speak; may contain {placeholders} filled by the router from device responses */
  response_text: z.string(),
  engine: z.string(),
  /** for queries: which device state answers it (the router fills the reply from it) */
  query: z.looseObject({ device_id: z.string(), field: z.string() }).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

export const ttsRequestSchema = z.looseObject({
  text: z.string(),
  voice: z.string().max(64).optional(),
  rate: z.number().min(80).max(450).optional(),
});
export const ttsResultSchema = z.looseObject({
  ok: z.literal(true),
  audio_data: base64Schema,
  format: audioFormatSchema,
  duration_ms: z.number().nonnegative(),
  processing_ms: z.number().nonnegative(),
  engine: z.string(),
});

export const voiceCommandSchema = z
  .looseObject({
    session_id: z.string().min(1).max(128),
    audio_data: base64Schema.optional(),
    format: audioFormatSchema.optional(),
    text: z.string().max(2000).optional(),
    /** the answer to the session's pending question ("Unlock the front door?"), from a button */
    confirm: z.boolean().optional(),
    /** ask for the spoken reply (default true) */
    speak: z.boolean().optional(),
  })
  .refine((c) => [c.audio_data, c.text, c.confirm].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of audio_data, text or confirm',
  });

export const timingsSchema = z.looseObject({
  stt_ms: z.number().nonnegative(),
  ai_ms: z.number().nonnegative(),
  device_ms: z.number().nonnegative(),
  tts_ms: z.number().nonnegative(),
  total_ms: z.number().nonnegative(),
  /** streamed sessions ended by silence: the silence stt waited for after the speech (audio clock) */
  endpoint_ms: z.number().nonnegative().optional(),
});

/** A device a session acted on, with its state before, so the window can undo it. */
export const touchedDeviceSchema = z.looseObject({
  device_id: z.string(),
  name: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
  /** the retained state before the command (unknown: {}) */
  before: z.record(z.string(), z.unknown()),
});

export const voiceResultSchema = z.looseObject({
  session_id: z.string(),
  ok: z.boolean(),
  transcription: z.string(),
  intent: intentSchema.nullable(),
  response_text: z.string(),
  /** WAV of the spoken reply, base64; empty when speech was not asked for or failed */
  audio_data: z.string(),
  timings: timingsSchema,
  /** stage the session ended in when not ok; "confirm": it asks a yes/no question first */
  stage: z.enum(['stt', 'ai', 'device', 'tts', 'done', 'request', 'confirm']).optional(),
  /** the question waiting for yes/no (spoken, or the confirm field from a button); no answer in time = no */
  confirm: z.looseObject({ question: z.string(), expires_in_ms: z.number().nonnegative() }).optional(),
  /** devices the session acted on, in order */
  devices: z.array(touchedDeviceSchema).optional(),
  error: errorInfoSchema.optional(),
});

/** Progress of a voice session's stages, for live traces in the window (the original event; `type` may be absent). */
export const stageEventSchema = z.looseObject({
  type: z.literal('stage').optional(),
  session_id: z.string(),
  stage: z.enum(['stt', 'ai', 'device', 'tts', 'done', 'error']),
  status: z.enum(['started', 'finished', 'failed']),
  elapsed_ms: z.number().nonnegative(),
});
/** stt heard the wake word on a listen stream: the speech that follows is the session `session_id`. */
export const wakeEventSchema = z.looseObject({
  type: z.literal('wake'),
  site_id: siteIdSchema,
  session_id: sessionIdSchema,
});
/** stt ended a streamed utterance (final chunk or silence): the window stops sending. */
export const endpointEventSchema = z.looseObject({
  type: z.literal('endpoint'),
  session_id: sessionIdSchema,
  reason: z.enum(['final', 'silence']),
});
export const voiceEventSchema = z.union([wakeEventSchema, endpointEventSchema, stageEventSchema]);

import { z } from 'zod';
import { audioFormatSchema, base64Schema, errorInfoSchema } from './common.js';

export const sttRequestSchema = z.looseObject({
  audio_data: base64Schema,
  format: audioFormatSchema.optional(),
  language: z.string().max(16).optional(),
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
    /** ask for the spoken reply (default true) */
    speak: z.boolean().optional(),
  })
  .refine((c) => (c.audio_data === undefined) !== (c.text === undefined), {
    message: 'give exactly one of audio_data or text',
  });

export const timingsSchema = z.looseObject({
  stt_ms: z.number().nonnegative(),
  ai_ms: z.number().nonnegative(),
  device_ms: z.number().nonnegative(),
  tts_ms: z.number().nonnegative(),
  total_ms: z.number().nonnegative(),
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
  /** stage the session ended in when not ok */
  stage: z.enum(['stt', 'ai', 'device', 'tts', 'done', 'request']).optional(),
  error: errorInfoSchema.optional(),
});

/** Progress events of a voice session, for live traces in the window. */
export const voiceEventSchema = z.looseObject({
  session_id: z.string(),
  stage: z.enum(['stt', 'ai', 'device', 'tts', 'done', 'error']),
  status: z.enum(['started', 'finished', 'failed']),
  elapsed_ms: z.number().nonnegative(),
});

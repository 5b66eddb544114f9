import { z } from 'zod';

export const errorInfoSchema = z.looseObject({
  code: z.string().min(1),
  message: z.string(),
  details: z.unknown().optional(),
});

/** Every error topic carries this body; the envelope's correlation_id echoes the failed request. */
export const errorReplySchema = z.looseObject({
  ok: z.literal(false),
  error: errorInfoSchema,
  /** the topic the failed message arrived on */
  request_topic: z.string().optional(),
});

/** Audio travels as base64 with its format beside it (seed: base64 in JSON). */
export const audioFormatSchema = z.looseObject({
  container: z.enum(['wav', 'pcm']).default('wav'),
  sample_rate: z.number().int().min(8000).max(48000).optional(),
  channels: z.number().int().min(1).max(2).optional(),
  bits: z.literal(16).optional(),
});

/** base64 text, bounded (a 30 s 48 kHz stereo 16-bit WAV is ~7.7 MB of base64) */
export const base64Schema = z
  .string()
  .min(1)
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const serviceNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'service names are lower-case words');

export const deviceIdSchema = z.string().regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/i, 'device ids are letters, digits, _ and -');

import { z } from 'zod';
import { AliciaError } from '../lib/protocol/errors.js';
import { summarizeIssues } from '../lib/protocol/envelope.js';

/** The tts section of the configuration (ALICIA_SERVICE_CONFIG); every field has a default. */
export const ttsConfigSchema = z.object({
  /** which engine: the WASM build inside npm, the Debian program, or WASM falling back to the program */
  engine: z.enum(['auto', 'wasm', 'cli']).default('auto'),
  voice: z.string().min(1).max(64).default('en-us'),
  /** words per minute; espeak-ng's default is 175 */
  rate: z.number().int().min(80).max(450).default(175),
  /** longest text accepted, in characters after cleaning (~500 chars is ~35 s of speech) */
  max_chars: z.number().int().min(1).max(5000).default(500),
  /** per request, from arrival to audio (queue wait included) */
  timeout_ms: z.number().int().min(100).max(120_000).default(5_000),
  /** requests waiting behind the one being spoken; more are refused with TTS_BUSY */
  max_queue: z.number().int().min(0).max(1000).default(16),
});
export type TtsConfig = z.output<typeof ttsConfigSchema>;

export function parseTtsConfig(raw: unknown): TtsConfig {
  const r = ttsConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AliciaError('CONFIG_INVALID', `tts config: ${summarizeIssues(r.error)}`);
  return r.data;
}

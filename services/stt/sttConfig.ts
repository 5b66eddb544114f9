import { z } from 'zod';
import { summarizeIssues } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';

/** The stt section of the configuration (ALICIA_SERVICE_CONFIG); every field has a default. */
export const sttConfigSchema = z.object({
  /** only pocketsphinx is built in; other engines come with a user-supplied model path (no npm package ships a model) */
  engine: z.enum(['pocketsphinx']).default('pocketsphinx'),
  pocketsphinx: z
    .object({
      /** what runs the decoders: the built-in WebAssembly build, the system's library, or native where it loads (decoderBackends.ts) */
      backend: z.enum(['wasm', 'native', 'auto']).default('wasm'),
      /** model files; default: the model that ships with the app (resources/pocketsphinx/model/en-us) */
      hmm: z.string().min(1).optional(),
      dict: z.string().min(1).optional(),
      phone_lm: z.string().min(1).optional(),
      /** rejection threshold (see pocketsphinxEngine.ts DEFAULT_MIN_MARGIN for how it was chosen) */
      min_margin: z.number().min(-100).max(100).optional(),
      min_speech_ms: z.number().int().min(0).max(5000).optional(),
    })
    .prefault({}),
  /** longest audio accepted */
  max_audio_ms: z.number().int().min(1000).max(120_000).default(30_000),
  /** wait after a device change before rebuilding the grammar (retained statuses arrive in bursts) */
  grammar_debounce_ms: z.number().int().min(0).max(10_000).default(150),
});
export type SttConfig = z.output<typeof sttConfigSchema>;

export function parseSttConfig(raw: unknown): SttConfig {
  const r = sttConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AliciaError('CONFIG_INVALID', `stt config: ${summarizeIssues(r.error)}`);
  return r.data;
}

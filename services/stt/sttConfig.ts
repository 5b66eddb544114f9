import { z } from 'zod';
import { summarizeIssues } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';

const ms = (min: number, max: number, dflt: number) => z.number().int().min(min).max(max).default(dflt);

/**
 * Streamed audio (alicia/voice/audio/<session>) and hands-free listening (alicia/voice/listen/<site>).
 * endpoint_silence_ms: silence after speech that ends an utterance without `final` (Home Assistant
 * waits 700 ms, Rhasspy 500); counted from the voice activity detector's last speech frame, which
 * itself trails the speech by ~60-120 ms at vad_mode 2 (measured on espeak-ng speech, clean and with
 * pink noise: services/stt/README.md).
 */
export const streamConfigSchema = z.object({
  endpoint_silence_ms: ms(200, 3000, 500),
  /**
   * "whole" (default): the utterance is recognised as a whole, exactly like the same audio sent in one
   * piece, started early when the speech seems to have ended. "stream": decoded chunk by chunk as it
   * arrives (only a ~30 ms tail at the end), but measured less reliable: sphinxbase normalises a
   * streamed decode by a running cepstral mean, and that flipped "turn it off" into "turn it on"
   * (services/stt/README.md).
   */
  decode: z.enum(['whole', 'stream']).default('whole'),
  /** an utterance still going after this long ends with STT_TOO_LONG */
  max_utterance_ms: ms(1000, 60_000, 10_000),
  /** no speech this long after the stream started: STT_NO_SPEECH */
  no_speech_ms: ms(500, 60_000, 5_000),
  /** speech frames in a row before speech counts as started (a click is shorter) */
  onset_ms: ms(20, 1000, 60),
  /** libfvad aggressiveness: 0 calls the most frames speech, 3 the fewest */
  vad_mode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(2),
  /** utterances decoded at once (each holds a decoder pair); more get STT_STREAM_BUSY */
  max_streams: z.number().int().min(1).max(32).default(4),
  /** no chunk for this long and no final: STT_STREAM_TIMEOUT */
  stream_timeout_ms: ms(200, 60_000, 2_000),
  /** hands-free sites listened to at once */
  max_listen_sites: z.number().int().min(1).max(64).default(8),
  /** a listen stream silent this long is closed */
  listen_timeout_ms: ms(500, 600_000, 5_000),
  wake_phrase: z.string().min(1).max(64).default('alicia'),
  wake_threshold: z.number().optional(),
});
export type StreamConfig = z.output<typeof streamConfigSchema>;

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
      /**
       * a garbage path beside the command grammar (services/lib/language/garbage.ts): out-of-grammar
       * speech is rejected far more often (false accepts 64.8 % -> 12.0 % on the test set), but
       * commands drop from 98 % to 92 % and a fast voice loses whole phrases (docs/decisions.md).
       * Off until it is tuned to keep commands at >= 95 %.
       */
      garbage_path: z.boolean().default(false),
      min_speech_ms: z.number().int().min(0).max(5000).optional(),
    })
    .prefault({}),
  /** longest audio accepted */
  max_audio_ms: z.number().int().min(1000).max(120_000).default(30_000),
  /** wait after a device change before rebuilding the grammar (retained statuses arrive in bursts) */
  grammar_debounce_ms: z.number().int().min(0).max(10_000).default(150),
  /** streamed audio, endpointing and the wake word (voice.endpoint_silence_ms and friends) */
  voice: streamConfigSchema.prefault({}),
});
export type SttConfig = z.output<typeof sttConfigSchema>;

export function parseSttConfig(raw: unknown): SttConfig {
  const r = sttConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AliciaError('CONFIG_INVALID', `stt config: ${summarizeIssues(r.error)}`);
  return r.data;
}

import { z } from 'zod';
import { AliciaError } from '../lib/protocol/errors.js';
import { summarizeIssues } from '../lib/protocol/envelope.js';

const ms = (dflt: number) => z.number().int().min(10).max(120_000).default(dflt);

/** The voice-router section of the configuration (ALICIA_SERVICE_CONFIG); every field has a default. */
export const voiceRouterConfigSchema = z.object({
  /** each stage's own budget; running out ends the session with <STAGE>_TIMEOUT */
  timeouts: z
    .object({
      stt_ms: ms(5_000),
      ai_ms: ms(2_000),
      /** for all the device commands of one sentence together */
      device_ms: ms(2_000),
      tts_ms: ms(5_000),
    })
    // zod 4: prefault parses {} through the object, so its field defaults apply
    .prefault({}),
  /** conversation context: forgotten this long after a session's last command */
  context_ttl_ms: z
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .default(10 * 60_000),
  /** conversation contexts kept at most (least recently used dropped first) */
  max_sessions: z.number().int().min(1).max(100_000).default(1_000),
  /** commands in progress at once (all sessions); more are answered VOICE_BUSY at once */
  max_active: z.number().int().min(1).max(10_000).default(64),
  /** longest spoken command accepted */
  max_audio_ms: z.number().int().min(500).max(60_000).default(30_000),
  /** a streamed command's stt stage may last this long plus timeouts.stt_ms (stt ends an utterance at 10 s by default) */
  max_stream_ms: z.number().int().min(1000).max(120_000).default(15_000),
  /** how long a question before a risky action ("Unlock the front door?") waits for yes; then it is no */
  confirm_timeout_ms: z.number().int().min(1000).max(120_000).default(10_000),
  /** speak the reply when the command does not say (command field `speak`) */
  speak_default: z.boolean().default(true),
  /** what is said when a session ends in an error (the ai's own sentence wins when it has one) */
  replies: z
    .object({
      not_heard: z.string().default("Sorry, I didn't catch that."),
      not_understood: z.string().default("Sorry, I didn't understand that."),
      stt_failed: z.string().default("Sorry, I can't hear commands right now."),
      ai_failed: z.string().default("Sorry, I can't understand commands right now."),
      device_failed: z.string().default("Sorry, that didn't work."),
      no_state: z.string().default("Sorry, I don't know that yet."),
      no_speech: z.string().default("I didn't hear anything."),
      clipped: z.string().default('I missed the start of that. Please say it again.'),
      too_long: z.string().default('That was too long for me. Please say one command at a time.'),
      not_confirmed: z.string().default("Okay, I won't."),
      nothing_to_confirm: z.string().default("There's nothing to confirm."),
      confirm_expired: z.string().default("I didn't hear a yes, so I didn't do it."),
    })
    .prefault({}),
});
export type VoiceRouterConfig = z.output<typeof voiceRouterConfigSchema>;

export function parseVoiceRouterConfig(raw: unknown): VoiceRouterConfig {
  const r = voiceRouterConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AliciaError('CONFIG_INVALID', `voice-router config: ${summarizeIssues(r.error)}`);
  return r.data;
}

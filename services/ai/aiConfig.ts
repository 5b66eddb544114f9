import { z } from 'zod';
import { summarizeIssues } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';

/**
 * The ai section of the configuration (ALICIA_SERVICE_CONFIG). The LLM fallback is off unless an
 * `llm` section with a url is given: Alicia must understand its own commands offline, so a language
 * model is an optional extra a user points at their own server, never a requirement.
 */
export const aiConfigSchema = z.object({
  llm: z
    .object({
      enabled: z.boolean().default(true),
      /** OpenAI-compatible server: base URL (".../v1" or the server root) or the full chat/completions URL */
      url: z.url({ protocol: /^https?$/ }),
      model: z.string().min(1).max(200),
      apiKey: z.string().min(1).max(500).optional(),
      timeoutMs: z.number().int().min(100).max(60_000).default(4_000),
      /** consecutive failures that open the circuit, and how long it stays open */
      failureThreshold: z.number().int().min(1).max(100).default(3),
      resetTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      maxTokens: z.number().int().min(16).max(4096).default(200),
    })
    .optional(),
});
export type AiConfig = z.output<typeof aiConfigSchema>;
export type LlmConfig = NonNullable<AiConfig['llm']>;

export function parseAiConfig(raw: unknown): AiConfig {
  const r = aiConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AliciaError('CONFIG_INVALID', `ai config: ${summarizeIssues(r.error)}`);
  return r.data;
}

import { DeviceRegistry, deviceInfoFromStatus } from '../lib/language/deviceRegistry.js';
import type { ConversationContext, IntentResult } from '../lib/language/intentTypes.js';
import { matchIntent } from '../lib/language/matcher.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { lastSegment } from '../lib/protocol/topics.js';
import { BusService } from '../lib/runtime/busService.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { CircuitBreaker } from '../lib/runtime/circuitBreaker.js';
import { parseAiConfig } from './aiConfig.js';
import type { AiConfig } from './aiConfig.js';
import { LlmClient } from './llmClient.js';
import { llmMessages, validateLlmAnswer } from './llmIntent.js';

export interface AiServiceOptions {
  connection?: ConnectionOptions;
  /** the ai config section (defaults for anything missing) */
  config?: unknown;
  /** clock for "what time is it" (tests) */
  now?: () => Date;
  /** fetch for the LLM client (tests) */
  fetch?: typeof fetch;
  heartbeatMs?: number;
}

const CONTEXT_KEYS = ['last_device_id', 'last_intent', 'last_room'] as const;

/** Only the context fields we wrote, as bounded strings: the context arrives from outside. */
export function sanitizeContext(raw: Record<string, unknown> | undefined): ConversationContext {
  const out: ConversationContext = {};
  if (!raw) return out;
  for (const k of CONTEXT_KEYS) {
    const v = raw[k];
    if (typeof v === 'string' && v.length > 0 && v.length <= 128) out[k] = v;
  }
  return out;
}

/**
 * Intent recognition on `alicia/ai/request` -> `alicia/ai/response`: sentence templates with slots
 * (services/lib/language) over the devices known from the retained alicia/device/status/+ messages,
 * with the session's conversation context passed in and returned updated.
 * Optional fallback for sentences no template matches: an OpenAI-compatible chat endpoint, off by
 * default, behind a timeout and a circuit breaker, its answer validated before use.
 */
export class AiService extends BusService {
  readonly config: AiConfig;
  readonly registry = new DeviceRegistry();
  private readonly now: () => Date;
  private readonly llm: LlmClient | null;
  readonly llmBreaker: CircuitBreaker;

  constructor(options: AiServiceOptions = {}) {
    const config = parseAiConfig(options.config);
    const llmOn = config.llm !== undefined && config.llm.enabled;
    super({
      name: 'ai',
      version: '1.0.0',
      capabilities: ['ai.templates', ...(llmOn ? ['ai.llm'] : [])],
      connection: options.connection,
      heartbeatMs: options.heartbeatMs,
    });
    this.config = config;
    this.now = options.now ?? (() => new Date());
    this.llm = llmOn && config.llm ? new LlmClient(config.llm, options.fetch) : null;
    this.llmBreaker = new CircuitBreaker('llm', {
      failureThreshold: config.llm?.failureThreshold ?? 3,
      resetTimeoutMs: config.llm?.resetTimeoutMs ?? 30_000,
      onStateChange: (s) => this.log.warn('llm circuit breaker', { state: s }),
    });
  }

  protected override async onStart(): Promise<void> {
    await this.subscribe('alicia/device/status/+', (msg) => void this.registry.upsert(deviceInfoFromStatus(msg)), {
      onClear: (topic) => void this.registry.remove(lastSegment(topic)),
    });
    await this.handle('alicia/ai/request', (msg) => this.understand(msg));
    if (this.llm) this.log.info('llm fallback enabled', { url: this.llm.url, model: this.config.llm?.model });
  }

  /** Text (+ context) -> reply body. Exposed for tests of the logic without a broker. */
  async understand(msg: Pick<MessageOf<'alicia/ai/request'>, 'text' | 'context'>): Promise<BodyOf<'alicia/ai/response'>> {
    const text = msg.text.trim();
    if (text === '') throw new AliciaError('AI_EMPTY_TEXT', 'the text to understand is empty');
    const context = sanitizeContext(msg.context);
    let result: IntentResult = matchIntent(text, this.registry, context, { now: this.now() });
    let engine = 'templates';
    let llmError: { code: string; message: string } | undefined;
    // Only sentences no template recognised at all; a template refusal ("the lamp cannot be dimmed")
    // is a real answer and must not be overridden by a model.
    if (!result.understood && result.intent.name === 'unknown' && this.llm) {
      try {
        const llm = this.llm;
        const content = await this.llmBreaker.exec(() => llm.complete(llmMessages(text, this.registry, context)));
        const verdict = validateLlmAnswer(content, this.registry, context);
        if (verdict.ok) {
          result = verdict.result;
          engine = 'llm';
        } else this.log.info('llm answer not used', { reason: verdict.reason });
      } catch (e) {
        const info = toErrorInfo(e);
        llmError = { code: info.code, message: info.message };
        this.log.warn('llm fallback failed; answering from templates', { ...llmError });
      }
    }
    return {
      ok: true,
      understood: result.understood,
      intent: result.intent,
      commands: result.commands.map((c) => ({ ...c })),
      response_text: result.response_text,
      engine,
      ...(result.query ? { query: result.query } : {}),
      context: { ...result.context },
      ...(llmError ? { llm_error: llmError } : {}),
    };
  }
}

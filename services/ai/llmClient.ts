import { AliciaError } from '../lib/protocol/errors.js';
import type { LlmConfig } from './aiConfig.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Largest answer body read from the server: an intent is a few hundred bytes. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** The chat/completions URL for a configured base ("http://h:8080", ".../v1", or the full URL). */
export function chatCompletionsUrl(base: string): string {
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/chat/completions')) return u.toString();
  u.pathname = path.endsWith('/v1') ? `${path}/chat/completions` : `${path}/v1/chat/completions`;
  return u.toString();
}

/**
 * Minimal OpenAI-compatible chat client (POST /v1/chat/completions; served by llama.cpp's server,
 * Ollama, vLLM, LocalAI and the hosted APIs). One call = one request with a hard deadline;
 * the caller puts a circuit breaker around it. Errors are coded: AI_TIMEOUT or AI_LLM_FAILED.
 */
export class LlmClient {
  readonly url: string;
  constructor(
    private readonly cfg: LlmConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.url = chatCompletionsUrl(cfg.url);
  }

  async complete(messages: ChatMessage[]): Promise<string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.cfg.apiKey) headers.authorization = `Bearer ${this.cfg.apiKey}`;
    const body = JSON.stringify({
      model: this.cfg.model,
      messages,
      temperature: 0,
      max_tokens: this.cfg.maxTokens,
      // JSON mode (OpenAI, llama.cpp server, Ollama); servers without it ignore the field
      response_format: { type: 'json_object' },
      stream: false,
    });
    const signal = AbortSignal.timeout(this.cfg.timeoutMs);
    let text: string;
    try {
      const res = await this.fetchImpl(this.url, { method: 'POST', headers, body, signal });
      text = await readLimited(res, MAX_RESPONSE_BYTES);
      if (!res.ok) throw new AliciaError('AI_LLM_FAILED', `LLM server answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    } catch (e) {
      if (e instanceof AliciaError) throw e;
      const name = (e as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError' || signal.aborted) {
        throw new AliciaError('AI_TIMEOUT', `LLM server did not answer within ${this.cfg.timeoutMs} ms`);
      }
      throw new AliciaError('AI_LLM_FAILED', `LLM request failed: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AliciaError('AI_LLM_FAILED', 'LLM server sent a body that is not JSON');
    }
    const content = (json as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new AliciaError('AI_LLM_FAILED', 'LLM answer has no choices[0].message.content');
    return content;
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new AliciaError('AI_LLM_FAILED', `LLM answer exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

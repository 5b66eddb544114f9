import { AliciaError } from './errors.js';
import { checkEnvelope, parseJson, summarizeIssues, issuesOf } from './envelope.js';
import type { DecodeOptions } from './envelope.js';
import { TOPICS, patternOf } from './topics.js';
import type { MessageOf, TopicPattern } from './topics.js';

/**
 * The versioned decoder every receiver uses: bytes -> validated message of the topic's schema.
 * Unknown newer-minor fields pass through (schemas are loose); another major is UNSUPPORTED_VERSION.
 * Throws AliciaError (BAD_JSON, BAD_ENVELOPE, UNSUPPORTED_VERSION, SCHEMA_INVALID, UNKNOWN_TOPIC, PAYLOAD_TOO_LARGE).
 */
export function decode<P extends TopicPattern>(pattern: P, payload: Uint8Array | string, opts?: DecodeOptions): MessageOf<P> {
  const obj = parseJson(payload);
  const env = checkEnvelope(obj, opts);
  const r = TOPICS[pattern].schema.safeParse(obj);
  if (!r.success) {
    throw new AliciaError('SCHEMA_INVALID', `invalid ${pattern} message: ${summarizeIssues(r.error)}`, {
      issues: issuesOf(r.error),
    });
  }
  return { ...(r.data as object), ...env } as MessageOf<P>;
}

/** Decode a concrete topic (finds its pattern). */
export function decodeTopic(
  topic: string,
  payload: Uint8Array | string,
  opts?: DecodeOptions,
): { pattern: TopicPattern; message: MessageOf<TopicPattern> } {
  const pattern = patternOf(topic);
  if (!pattern) throw new AliciaError('UNKNOWN_TOPIC', `${topic} is not an Alicia topic`);
  return { pattern, message: decode(pattern, payload, opts) };
}

/** Best effort: pull envelope ids out of any payload without validating it (recorder, error replies). */
export function peekEnvelope(payload: Uint8Array | string): {
  id?: string;
  trace_id?: string;
  correlation_id?: string;
  session_id?: string;
  source?: string;
} {
  try {
    const obj = parseJson(payload);
    // only ids valid in an envelope (1..128 chars): a reply must never echo a 2 MB or empty id
    const s = (k: string) => {
      const v = obj[k];
      return typeof v === 'string' && v.length >= 1 && v.length <= 128 ? v : undefined;
    };
    return { id: s('id'), trace_id: s('trace_id'), correlation_id: s('correlation_id'), session_id: s('session_id'), source: s('source') };
  } catch {
    return {};
  }
}

/**
 * The envelope fields an answer to a request carries, read from the request without validating it
 * (a refused request is answered too): its correlation_id (a hand-typed request without one is
 * correlated by its message id) and its trace_id.
 */
export function replyIdsOf(payload: Uint8Array | string): { correlation_id?: string; trace_id?: string } {
  const peek = peekEnvelope(payload);
  const correlation_id = peek.correlation_id ?? peek.id;
  return { ...(correlation_id ? { correlation_id } : {}), ...(peek.trace_id ? { trace_id: peek.trace_id } : {}) };
}

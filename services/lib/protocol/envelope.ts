import { z } from 'zod';
import { AliciaError } from './errors.js';

/**
 * One JSON envelope, flat: the envelope fields sit beside the body fields of each topic, so a
 * message is never wrapped twice and an external tool can read `state.on` or `session_id` directly.
 * The names below are reserved in every body.
 */
export const SCHEMA_VERSION = '1.0';
export const SCHEMA_MAJOR = 1;

export const envelopeShape = {
  /** schema version "major.minor"; a newer minor is accepted, another major is rejected. */
  v: z.string().regex(/^\d+\.\d+$/, 'v must be "major.minor"'),
  /** message id, unique per message */
  id: z.string().min(1).max(128),
  /** milliseconds since the Unix epoch, set by the sender */
  ts: z.number().int().nonnegative(),
  /** the sending service or client (e.g. "stt", "window", "operator") */
  source: z.string().min(1).max(128),
  /** one trace id follows a piece of work through every hop */
  trace_id: z.string().min(1).max(128),
  /** requests carry one, replies echo it (Aedes is MQTT 3.1.1: no MQTT 5 correlation data) */
  correlation_id: z.string().min(1).max(128).optional(),
  /** voice messages carry the session id */
  session_id: z.string().min(1).max(128).optional(),
  /**
   * requests may carry the time (ms epoch) after which the requester has given up; a service that
   * receives it later (e.g. queued in its persistent session while it restarted) drops it rather
   * than acting on a command whose requester already reported a timeout.
   */
  deadline: z.number().int().nonnegative().optional(),
};

export const envelopeSchema = z.looseObject(envelopeShape);
export type Envelope = z.infer<typeof envelopeSchema>;

/** Body fields of a message = everything but the envelope fields. */
export type Body<T> = Omit<T, keyof Envelope>;

export interface EnvelopeFields {
  source: string;
  trace_id?: string;
  correlation_id?: string;
  session_id?: string;
  deadline?: number;
  id?: string;
  ts?: number;
}

export function newId(): string {
  // Available in Node >= 19 and in browsers on secure origins (localhost counts).
  return globalThis.crypto.randomUUID();
}

/** Build a message: envelope fields first, then the body. Never nests. */
export function seal<B extends object>(body: B, fields: EnvelopeFields): Envelope & B {
  const env: Envelope = {
    v: SCHEMA_VERSION,
    id: fields.id ?? newId(),
    ts: fields.ts ?? Date.now(),
    source: fields.source,
    trace_id: fields.trace_id ?? newId(),
  };
  if (fields.correlation_id !== undefined) env.correlation_id = fields.correlation_id;
  if (fields.session_id !== undefined) env.session_id = fields.session_id;
  if (fields.deadline !== undefined) env.deadline = fields.deadline;
  // Body keys that collide with envelope keys are dropped: the envelope is authoritative.
  const out: Record<string, unknown> = { ...env };
  for (const [k, val] of Object.entries(body)) {
    if (!(k in envelopeShape) || (k === 'session_id' && env.session_id === undefined)) out[k] = val;
  }
  return out as Envelope & B;
}

/** Maximum payload a decoder accepts before even parsing (the broker enforces its own limit too). */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse raw MQTT payload bytes into a plain object. Throws AliciaError:
 * PAYLOAD_TOO_LARGE, BAD_JSON (also invalid UTF-8), BAD_ENVELOPE (not an object).
 */
export function parseJson(payload: Uint8Array | string, maxBytes = MAX_PAYLOAD_BYTES): Record<string, unknown> {
  const size = typeof payload === 'string' ? payload.length : payload.byteLength;
  if (size > maxBytes) throw new AliciaError('PAYLOAD_TOO_LARGE', `payload is ${size} bytes, limit ${maxBytes}`);
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : textDecoder.decode(payload);
  } catch {
    throw new AliciaError('BAD_JSON', 'payload is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AliciaError('BAD_JSON', `payload is not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AliciaError('BAD_ENVELOPE', 'payload must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export interface DecodeOptions {
  /**
   * Hand-typed messages (mosquitto_pub, the publish form) may omit id, ts, source and trace_id:
   * the decoder fills them in. `v` may be omitted too (taken as the current version), but when
   * present its major must match.
   */
  fillMissing?: boolean;
}

/** Check the envelope part of a parsed object. Throws UNSUPPORTED_VERSION or BAD_ENVELOPE. */
export function checkEnvelope(obj: Record<string, unknown>, opts: DecodeOptions = { fillMissing: true }): Envelope {
  if (obj.v !== undefined) {
    const m = typeof obj.v === 'string' ? /^(\d+)\.(\d+)$/.exec(obj.v) : null;
    if (!m) throw new AliciaError('BAD_ENVELOPE', 'v must be a "major.minor" string');
    if (Number(m[1]) !== SCHEMA_MAJOR) {
      throw new AliciaError('UNSUPPORTED_VERSION', `schema version ${m[0]} is not supported (major ${SCHEMA_MAJOR})`, {
        supported: SCHEMA_VERSION,
      });
    }
  }
  if (opts.fillMissing !== false) {
    if (obj.v === undefined) obj.v = SCHEMA_VERSION;
    if (obj.id === undefined) obj.id = newId();
    if (obj.ts === undefined) obj.ts = Date.now();
    if (obj.source === undefined) obj.source = 'unknown';
    if (obj.trace_id === undefined) obj.trace_id = obj.correlation_id ?? obj.id;
  }
  const r = envelopeSchema.safeParse(obj);
  if (!r.success) {
    throw new AliciaError('BAD_ENVELOPE', `bad envelope: ${summarizeIssues(r.error)}`, { issues: issuesOf(r.error) });
  }
  return r.data;
}

export function issuesOf(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

export function summarizeIssues(err: z.ZodError): string {
  return issuesOf(err)
    .slice(0, 3)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}

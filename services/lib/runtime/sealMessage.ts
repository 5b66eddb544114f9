import { seal } from '../protocol/envelope.js';
import { AliciaError } from '../protocol/errors.js';
import { TOPICS, topicFor } from '../protocol/topics.js';
import type { BodyOf, TopicDef, TopicPattern } from '../protocol/topics.js';

export interface PublishOptions {
  /** values for the `+` segments of the pattern, in order */
  params?: string[];
  trace_id?: string;
  correlation_id?: string;
  session_id?: string;
  deadline?: number;
  retain?: boolean;
  qos?: 0 | 1;
}

/** A message ready for the wire. */
export interface SealedMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * The one way a service puts a typed message together: the body sealed in the envelope with the
 * sender and the ids of `opts`, checked against its topic's schema, with the topic's QoS and retain
 * flag unless `opts` says otherwise. An invalid message is a bug in the sender, never put on the bus:
 * it throws AliciaError `invalidCode` (a reply uses INTERNAL, so the requester is not told its own
 * request was invalid).
 */
export function sealMessage<P extends TopicPattern>(
  source: string,
  pattern: P,
  body: BodyOf<P>,
  opts: PublishOptions = {},
  invalidCode: 'SCHEMA_INVALID' | 'INTERNAL' = 'SCHEMA_INVALID',
): SealedMessage {
  const def: TopicDef = TOPICS[pattern];
  const msg = seal(body as object, {
    source,
    trace_id: opts.trace_id,
    correlation_id: opts.correlation_id,
    session_id: opts.session_id,
    deadline: opts.deadline,
  });
  const check = def.schema.safeParse(msg);
  if (!check.success) {
    const issue = check.error.issues[0];
    throw new AliciaError(invalidCode, `${source} produced an invalid ${pattern}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  return {
    topic: topicFor(pattern, ...(opts.params ?? [])),
    payload: JSON.stringify(msg),
    qos: opts.qos ?? def.qos,
    retain: opts.retain ?? def.retain ?? false,
  };
}

/**
 * The one validator of MQTT topic names (what a PUBLISH carries) and topic filters (what a
 * SUBSCRIBE carries), MQTT 3.1.1 section 4.7, used by the broker's ACL, its in-process bus and the
 * window's publish form. Matching a name against a filter is topicMatches (topics.ts).
 *
 * What the rules allow, on purpose: empty levels (`a//b`, `/a`, `a/`, `/` are all distinct valid
 * names, section 4.7.3), spaces, and `$`-topics (`$SYS/...` is a valid name and filter; that only the
 * broker may publish there is an ACL decision, and that a leading wildcard never matches a `$`-topic
 * [MQTT-4.7.2-1] is a matching rule).
 *
 * How deep a topic may be is not MQTT's rule but a broker's policy: callers pass `maxLevels`.
 */

export type TopicProblemCode = 'EMPTY' | 'WILDCARD_IN_NAME' | 'HASH_NOT_LAST' | 'PLUS_NOT_ALONE' | 'NUL' | 'TOO_LONG' | 'TOO_DEEP';

export interface TopicProblem {
  code: TopicProblemCode;
  /** for people (the publish form shows it, the broker logs it) */
  message: string;
}

/** [MQTT-4.7.3-3]: a topic is a UTF-8 string with a two-byte length prefix. */
export const MAX_TOPIC_BYTES = 65535;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const NUL = 0;

/** Why `name` cannot be a topic name, or null when it can. */
export function topicNameProblem(name: string, maxLevels = Infinity): TopicProblem | null {
  // [MQTT-4.7.3-1] at least one character
  if (name.length === 0) return { code: 'EMPTY', message: 'a topic is required' };
  let levels = 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === SLASH) levels++;
    // [MQTT-4.7.1-1] wildcards may be used in filters, never within a topic name
    else if (c === PLUS || c === HASH) return { code: 'WILDCARD_IN_NAME', message: 'wildcards (+ #) are not allowed when publishing' };
    // [MQTT-4.7.3-2] no U+0000
    else if (c === NUL) return nulProblem('topic');
  }
  return lengthProblem('topic', name, levels, maxLevels);
}

/** Why `filter` cannot be a topic filter, or null when it can. */
export function topicFilterProblem(filter: string, maxLevels = Infinity): TopicProblem | null {
  // [MQTT-4.7.3-1] at least one character
  if (filter.length === 0) return { code: 'EMPTY', message: 'a filter is required' };
  let levels = 1;
  let levelStart = 0;
  const last = filter.length - 1;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) {
      levels++;
      levelStart = i + 1;
    } else if (c === HASH) {
      // [MQTT-4.7.1-2] '#' on its own or after a '/', and the last character of the filter
      if (i !== levelStart || i !== last) return { code: 'HASH_NOT_LAST', message: "'#' must be the whole last level" };
    } else if (c === PLUS) {
      // [MQTT-4.7.1-3] '+' occupies an entire level
      if (i !== levelStart || (i !== last && filter.charCodeAt(i + 1) !== SLASH)) {
        return { code: 'PLUS_NOT_ALONE', message: "'+' must be a whole level" };
      }
    } else if (c === NUL) return nulProblem('filter');
  }
  return lengthProblem('filter', filter, levels, maxLevels);
}

export function isValidTopicName(name: string, maxLevels = Infinity): boolean {
  return topicNameProblem(name, maxLevels) === null;
}

export function isValidTopicFilter(filter: string, maxLevels = Infinity): boolean {
  return topicFilterProblem(filter, maxLevels) === null;
}

function nulProblem(what: string): TopicProblem {
  return { code: 'NUL', message: `the ${what} contains a NUL character` };
}

function lengthProblem(what: string, s: string, levels: number, maxLevels: number): TopicProblem | null {
  // [MQTT-4.7.3-3] at most 65535 bytes once UTF-8 encoded (not UTF-16 code units)
  if (overMaxBytes(s)) return { code: 'TOO_LONG', message: `the ${what} is longer than ${MAX_TOPIC_BYTES} bytes (UTF-8)` };
  if (levels > maxLevels) return { code: 'TOO_DEEP', message: `the ${what} has more than ${maxLevels} levels` };
  return null;
}

/** Is the UTF-8 encoding of `s` over MAX_TOPIC_BYTES? Counted without encoding (no allocation on the broker's paths). */
function overMaxBytes(s: string): boolean {
  // every UTF-16 code unit encodes to at least 1 and at most 3 bytes: most strings need no count
  if (s.length * 3 <= MAX_TOPIC_BYTES) return false;
  if (s.length > MAX_TOPIC_BYTES) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair: one code point above U+FFFF
      i++;
    } else n += 3; // the rest of the BMP, and a lone surrogate (encoded as U+FFFD)
  }
  return n > MAX_TOPIC_BYTES;
}

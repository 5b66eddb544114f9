import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { isValidTopicFilter } from '../../../services/lib/protocol/topicNames.js';
import { topicMatches } from '../../../services/lib/protocol/topics.js';

/**
 * An MQTT topic filter turned into an index-friendly SQL condition plus an exact check.
 *
 * The SQL part only narrows by the filter's literal prefix (the levels before the first wildcard),
 * as a range `topic >= lo AND topic < hi` on the (topic, time) index; the exact MQTT semantics
 * (`+` one level, `#` the rest, `$` topics hidden from leading wildcards, MQTT 3.1.1 section 4.7)
 * are applied in JS with the protocol's own topicMatches. The user's text is only ever a bound
 * parameter: the SQL fragments come from the fixed set below.
 */
export type CompiledFilter =
  | { kind: 'all'; filter: string; exact: false }
  | { kind: 'exact'; filter: string; topic: string; exact: true }
  | { kind: 'range'; filter: string; lo: string; hi: string; parent: string | null; exact: false };

export function compileFilter(filter: string): CompiledFilter {
  if (!isValidTopicFilter(filter)) {
    throw new AliciaError('RECORDER_BAD_QUERY', `invalid MQTT topic filter ${JSON.stringify(filter.slice(0, 80))}`);
  }
  const segs = filter.split('/');
  const k = segs.findIndex((s) => s === '+' || s === '#');
  if (k < 0) return { kind: 'exact', filter, topic: filter, exact: true };
  if (k === 0) return { kind: 'all', filter, exact: false };
  const base = segs.slice(0, k).join('/');
  // lo = "a/b/" ; every topic below a/b starts with it. hi replaces the final "/" (0x2F) with
  // "0" (0x30), the next byte: SQLite's BINARY collation compares UTF-8 bytes (memcmp), so
  // [lo, hi) is exactly the set of strings starting with lo.
  const lo = `${base}/`;
  const hi = `${base}0`;
  // "a/b/#" also matches "a/b" itself (MQTT 3.1.1 section 4.7.1.2).
  const parent = segs[k] === '#' && k === segs.length - 1 ? base : null;
  return { kind: 'range', filter, lo, hi, parent, exact: false };
}

/** The exact MQTT check applied to rows the SQL range let through. */
export function filterAccepts(f: CompiledFilter, topic: string): boolean {
  return f.exact ? f.topic === topic : topicMatches(f.filter, topic);
}

/**
 * A list of filters as one check for the publish path (the recorder's skip list): exact topics by
 * Set lookup, wildcard filters only for topics that start with their literal prefix (so
 * "$SYS/+/heartbeat" costs one startsWith for every alicia/... topic).
 */
export function compileFilterList(filters: readonly string[]): (topic: string) => boolean {
  const exact = new Set<string>();
  const wild: { prefix: string; filter: string }[] = [];
  for (const f of filters) {
    const i = f.search(/[+#]/);
    if (i < 0) exact.add(f);
    else wild.push({ prefix: f.slice(0, i), filter: f });
  }
  return (topic) => {
    if (exact.has(topic)) return true;
    for (const w of wild) if (topic.startsWith(w.prefix) && topicMatches(w.filter, topic)) return true;
    return false;
  };
}

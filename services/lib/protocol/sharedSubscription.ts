import { topicFilterProblem } from './topicNames.js';

/**
 * Shared subscriptions, `$share/<group>/<filter>` (MQTT 5 section 4.8.2; Mosquitto, EMQX, HiveMQ and
 * Alicia's broker accept them from MQTT 3.1.1 clients too): each message matching `filter` goes to one
 * member of `group` instead of to every subscriber, so two instances of a service split its requests.
 * The one place that spells the prefix: services build the filter with sharedFilter(), the broker
 * reads it with parseSharedFilter().
 */
export const SHARE_PREFIX = '$share/';

export type SharedFilter = { ok: true; group: string; filter: string } | { ok: false; reason: string };

/** Why `group` cannot be a share name, or null when it can (MQTT 5 section 4.8.2). */
export function shareNameProblem(group: string): string | null {
  if (group.length === 0) return 'the share name is empty';
  // "A ShareName MUST NOT contain the characters "/", "+" or "#"" [MQTT-4.8.2-2]
  for (const c of group) if (c === '/' || c === '+' || c === '#' || c === '\0') return 'the share name may not contain /, +, # or NUL';
  return null;
}

/** The subscription filter that joins `group` on `filter`, e.g. `$share/stt/alicia/voice/stt/request`. */
export function sharedFilter(group: string, filter: string): string {
  const problem = shareNameProblem(group) ?? topicFilterProblem(filter)?.message ?? null;
  if (problem) throw new RangeError(`invalid shared subscription ${JSON.stringify(group)} on ${JSON.stringify(filter)}: ${problem}`);
  return `${SHARE_PREFIX}${group}/${filter}`;
}

/**
 * A subscription filter read as a shared subscription: null when it does not start with `$share/`
 * (an ordinary filter), otherwise its group and inner filter, or why it is not a valid one.
 */
export function parseSharedFilter(subscription: string): SharedFilter | null {
  if (!subscription.startsWith(SHARE_PREFIX)) return null;
  const rest = subscription.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  // "[the ShareName] MUST be followed by a "/" character. This "/" character MUST be followed by a
  // Topic Filter" [MQTT-4.8.2-1]
  if (slash < 0) return { ok: false, reason: 'no topic filter after the share name' };
  const group = rest.slice(0, slash);
  const filter = rest.slice(slash + 1);
  const nameProblem = shareNameProblem(group);
  if (nameProblem) return { ok: false, reason: nameProblem };
  const filterProblem = topicFilterProblem(filter);
  if (filterProblem) return { ok: false, reason: `the topic filter after the share name: ${filterProblem.message}` };
  return { ok: true, group, filter };
}

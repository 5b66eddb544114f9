import { expandConfig } from '../../../services/lib/protocol/haDiscovery.js';
import {
  BRIDGE_ACL,
  HOST_PART_ACL,
  NODE_ACL,
  aclFor,
  aclRoleOf,
  deviceAclFor,
  isDevicePrincipal,
  isHostPart,
  isServiceName,
  type AnyPrincipal,
  type DevicePrincipal,
  type Principal,
} from '../../../services/lib/protocol/services.js';
import { isValidTopicFilter, isValidTopicName } from '../../../services/lib/protocol/topicNames.js';
import { TOPICS, topicMatches } from '../../../services/lib/protocol/topics.js';
import { TOPIC_LEVELS_CAP } from './aedesInternals.js';

/**
 * Per-principal access rules, pure. The table lives in services/lib/protocol/services.ts (aclFor);
 * docs/security.md prints it (aclTable.ts). Rules:
 *  - a service publishes/subscribes only within its own patterns; `EXTERNAL` in a pattern list means
 *    "any topic outside alicia/, homeassistant/ and $-topics" (Home Assistant adopted devices);
 *  - operator may do everything;
 *  - window (an MQTT-Explorer-like UI) may subscribe to anything including $SYS/#, and publish
 *    anything except $-topics; every window session `window:<id>` has exactly these rules;
 *  - nobody but the broker itself publishes $SYS/... (Aedes docs, "authorizePublish": clients
 *    publishing $SYS is a DoS vector, moscajs/aedes#597), nor alicia/system/host (the host's
 *    retained record with the LAN certificate fingerprint: a forged one would make the window show
 *    an attacker's fingerprint, so only the in-process host publishes it), nor
 *    alicia/system/window/sessions (the list of signed-in windows the Health view shows);
 *  - an external device `device:<name>` only within its own topics (deviceAclFor);
 *  - the host's own parts (HOST_PART_ACL) connect only on the user's own broker; beside this one
 *    they are in-process, but their credentials work here too and get the same rows (the `host`
 *    principal is the one client that may publish the host-only records).
 */

/** Published only by the host (in-process, or as principal `host` on an external broker); refused for every other client, operator included. */
export const HOST_ONLY_TOPICS: ReadonlySet<string> = new Set([
  TOPICS['alicia/system/host'].pattern,
  TOPICS['alicia/system/window/sessions'].pattern,
]);

export const EXTERNAL = 'EXTERNAL';

/**
 * The deepest topic / filter the rules here consider: the broker's configured limit
 * (`broker.max_topic_levels`, 16 by default) is checked before them (clientAccess.ts); this is
 * Aedes's own hard cap (aedesInternals.ts TOPIC_LEVELS_CAP), which that setting cannot exceed.
 */
export const MAX_TOPIC_LEVELS = TOPIC_LEVELS_CAP;

const RESERVED_ROOTS = new Set(['alicia', 'homeassistant']);

function isExternalRoot(level: string): boolean {
  return level !== '+' && level !== '#' && !level.startsWith('$') && !RESERVED_ROOTS.has(level);
}

/** Whose rules apply: a window session's are the window role's (one cache entry for all of them). */
type AclSubject = Principal | DevicePrincipal;

function patternsFor(principal: AclSubject, kind: 'publish' | 'subscribe'): readonly string[] {
  if (isServiceName(principal)) return aclFor(principal)[kind];
  if (isDevicePrincipal(principal)) return deviceAclFor(principal.slice(7))[kind];
  if (principal === 'bridge') return BRIDGE_ACL[kind];
  if (principal === 'node') return NODE_ACL[kind];
  if (isHostPart(principal)) return HOST_PART_ACL[principal][kind];
  return [];
}

/** Drop the memoised decisions of a principal (a removed device: its cache must not outlive it). */
export function forgetPrincipal(principal: AnyPrincipal): void {
  const subject = aclRoleOf(principal);
  if (subject === 'window') return; // shared by every window session
  compiled.delete(subject);
  decisions.delete(subject);
}

/** canPublish runs for every PUBLISH: the table is compiled once per principal (no per-message allocation). */
interface CompiledPublish {
  exact: ReadonlySet<string>;
  wildcard: readonly string[];
  external: boolean;
}
const compiled = new Map<AclSubject, CompiledPublish>();

function compiledPublish(principal: AclSubject): CompiledPublish {
  let c = compiled.get(principal);
  if (!c) {
    const pats = patternsFor(principal, 'publish');
    c = {
      exact: new Set(pats.filter((p) => p !== EXTERNAL && !p.includes('+') && !p.includes('#'))),
      wildcard: pats.filter((p) => p !== EXTERNAL && (p.includes('+') || p.includes('#'))),
      external: pats.includes(EXTERNAL),
    };
    compiled.set(principal, c);
  }
  return c;
}

/**
 * Decisions are memoised per principal: a service publishes on a handful of topics over and over,
 * so the common case is one Map lookup. Bounded (cleared when full) so random topics cannot grow it.
 */
const DECISION_CACHE_MAX = 4096;
const decisions = new Map<AclSubject, Map<string, boolean>>();

export function canPublish(principal: AnyPrincipal, topic: string): boolean {
  const subject = aclRoleOf(principal);
  let cache = decisions.get(subject);
  if (!cache) decisions.set(subject, (cache = new Map<string, boolean>()));
  const known = cache.get(topic);
  if (known !== undefined) return known;
  const ok = decidePublish(subject, topic);
  if (cache.size >= DECISION_CACHE_MAX) cache.clear();
  cache.set(topic, ok);
  return ok;
}

function decidePublish(principal: AclSubject, topic: string): boolean {
  if (!isValidTopicName(topic, MAX_TOPIC_LEVELS)) return false;
  if (topic.charCodeAt(0) === 36) return false; // '$': $SYS and any other $-topic are the broker's
  if (HOST_ONLY_TOPICS.has(topic)) return principal === 'host';
  if (principal === 'operator' || principal === 'window') return true;
  const c = compiledPublish(principal);
  if (c.exact.has(topic)) return true;
  for (const p of c.wildcard) if (topicMatches(p, topic)) return true;
  if (c.external) {
    const slash = topic.indexOf('/');
    return isExternalRoot(slash < 0 ? topic : topic.slice(0, slash));
  }
  return false;
}

export function canSubscribe(principal: AnyPrincipal, filter: string): boolean {
  if (!isValidTopicFilter(filter, MAX_TOPIC_LEVELS)) return false;
  const subject = aclRoleOf(principal);
  if (subject === 'operator' || subject === 'window') return true;
  return covered(filter.split('/'), patternsFor(subject, 'subscribe'), 0);
}

// ---------------------------------------------------------------------------------------------
// Filter coverage: is every topic a filter can match also matched by at least one pattern?

/** A literal no pattern contains: stands for "any other level value" when a wildcard is split. */
const OTHER = '\u0000other';

/** Does pattern P match every topic that filter F matches? (single pattern, level by level) */
function subsumes(p: readonly string[], f: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    const ps = p[i];
    const fs = f[i];
    if (ps === '#') {
      // '#' at level 0 never matches $-topics [MQTT-4.7.2-1]
      return !(i === 0 && fs !== undefined && fs.startsWith('$'));
    }
    if (fs === undefined) return ps === undefined;
    if (ps === undefined) return false;
    if (fs === '#') return false; // only a '#' covers a '#'
    if (fs === '+') {
      if (ps !== '+') return false;
      continue;
    }
    if (ps === '+') {
      if (i === 0 && fs.startsWith('$')) return false;
      continue;
    }
    if (ps !== fs) return false;
  }
}

function subsumedByExternal(f: readonly string[]): boolean {
  const root = f[0];
  return root !== undefined && isExternalRoot(root);
}

/**
 * Exact union coverage: if no single pattern covers F, split F's first wildcard into the literals
 * the patterns name at that level plus OTHER, and require every branch to be covered. A '#' at
 * level i becomes "the parent topic itself" plus "c/#" for each candidate c. Depth-capped, so an
 * uncoverable '#' ends as "not covered" (safe side).
 */
function covered(f: readonly string[], patterns: readonly string[], depth: number): boolean {
  if (depth > MAX_TOPIC_LEVELS + 2) return false;
  const split = patterns.map((p) => (p === EXTERNAL ? null : p.split('/')));
  if (patterns.includes(EXTERNAL) && subsumedByExternal(f)) return true;
  for (const p of split) if (p && subsumes(p, f)) return true;

  const i = f.findIndex((s) => s === '+' || s === '#');
  if (i < 0) return false; // a concrete topic no pattern matches
  const candidates = new Set<string>([OTHER]);
  if (i === 0) for (const r of RESERVED_ROOTS) candidates.add(r);
  for (const p of split) {
    const s = p?.[i];
    if (s !== undefined && s !== '+' && s !== '#') candidates.add(s);
  }
  const prefix = f.slice(0, i);
  if (f[i] === '+') {
    const rest = f.slice(i + 1);
    for (const c of candidates) if (!covered([...prefix, c, ...rest], patterns, depth + 1)) return false;
    return true;
  }
  // '#': the parent level itself ('a/#' matches 'a' [MQTT-4.7.1-2]) ...
  if (i > 0 && !covered(prefix, patterns, depth + 1)) return false;
  // ... and everything below it
  for (const c of candidates) if (!covered([...prefix, c, '#'], patterns, depth + 1)) return false;
  return true;
}

/**
 * The ACL lets `device:<name>` publish only its own discovery config topics, but the config's
 * *content* names the topics the device manager will then read and command (command_topic,
 * state_topic, availability...). A config pointing them at alicia/ or at another device's prefix
 * would turn the device manager (which may publish to any external topic) into a confused deputy
 * for the device. The broker is the only place that knows who published a config (MQTT 3.1.1 has
 * no user properties), so it checks here: every *topic value after HA's abbreviation and `~`
 * expansion (services/device-manager/haConfig.ts expandConfig, as Home Assistant does) must be the
 * device's own `<name>` or lie under `<name>/`. Returns the refusal reason, or null when allowed.
 * An empty payload (a retained config being cleared) is allowed.
 */
export function deviceDiscoveryConfigRefusal(principal: AnyPrincipal, topic: string, payload: Buffer): string | null {
  if (!isDevicePrincipal(principal) || !topic.startsWith('homeassistant/') || payload.length === 0) return null;
  const name = principal.slice(7);
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'discovery config is not JSON';
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'discovery config is not a JSON object';
  const cfg = expandConfig(raw as Record<string, unknown>);
  const own = (t: unknown) => typeof t === 'string' && (t === name || t.startsWith(`${name}/`));
  for (const [k, v] of Object.entries(cfg)) {
    if (k.endsWith('topic') && v !== undefined && v !== null && v !== '' && !own(v)) {
      return `discovery config ${k} ${JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 80)} is outside ${name}/`;
    }
  }
  if (Array.isArray(cfg.availability)) {
    for (const a of cfg.availability as unknown[]) {
      const t = a && typeof a === 'object' ? (a as Record<string, unknown>).topic : undefined;
      if (t !== undefined && !own(t)) return `discovery config availability topic is outside ${name}/`;
    }
  }
  return null;
}

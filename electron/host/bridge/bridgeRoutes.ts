import { discoveryTopics, expandConfig, parseDiscoveryTopic } from '../../../services/lib/protocol/haDiscovery.js';
import { isValidTopicName } from '../../../services/lib/protocol/topicNames.js';
import { topicMatches } from '../../../services/lib/protocol/topics.js';
import { canPublish, canSubscribe } from '../broker/acl.js';
import type { BridgeSettings } from './bridgeSettings.js';

export interface Route {
  filter: string;
  qos: 0 | 1;
}

/** What to subscribe and unsubscribe after a discovery config arrived, changed or was removed. */
export interface RouteChange {
  /** upstream filters (messages come in) */
  in: { add: Route[]; remove: string[] };
  /** filters on Alicia's broker (messages go out) */
  out: { add: Route[]; remove: string[] };
}

interface Followed {
  in: string[];
  out: string[];
}

/**
 * The filters one bridge holds in each direction: the configured ones (`topics.in`, `topics.out`),
 * `<prefix>/#` in when Home Assistant adoption is on, and the topics the discovery configs that came
 * in name: their state and availability topics in, their command topics out. A topic named by two
 * configs is held until the last of them is removed; a topic a configured filter already covers is
 * not subscribed twice (MQTT 3.1.1 section 3.3.5 lets a broker send a message once per matching
 * subscription). Topics the bridge may not carry (alicia/, $: BRIDGE_ACL) are never followed, so an
 * upstream config cannot make the bridge speak for Alicia's services.
 */
export class BridgeRoutes {
  private readonly byConfig = new Map<string, Followed>();
  private readonly inRefs = new Map<string, number>();
  private readonly outRefs = new Map<string, number>();
  private readonly staticIn: Route[];
  private readonly staticOut: Route[];
  private readonly followQos: 0 | 1;
  private readonly prefix: string | null;

  constructor(settings: Pick<BridgeSettings, 'topics' | 'home_assistant'>) {
    const ha = settings.home_assistant;
    this.prefix = ha.enabled ? ha.prefix : null;
    this.followQos = ha.qos;
    this.staticIn = [
      ...(this.prefix ? [{ filter: `${this.prefix}/#`, qos: ha.qos }] : []),
      ...settings.topics.in.map((r) => ({ filter: r.filter, qos: r.qos })),
    ];
    this.staticOut = settings.topics.out.map((r) => ({ filter: r.filter, qos: r.qos }));
  }

  /** Every filter held upstream now. */
  inFilters(): Route[] {
    return [...this.staticIn, ...[...this.inRefs.keys()].map((filter) => ({ filter, qos: this.followQos }))];
  }

  /** Every filter held on Alicia's broker now. */
  outFilters(): Route[] {
    return [...this.staticOut, ...[...this.outRefs.keys()].map((filter) => ({ filter, qos: this.followQos }))];
  }

  /** Does a filter held upstream match this topic (so upstream sends back what the bridge publishes there)? */
  holdsIn(topic: string): boolean {
    return this.staticIn.some((r) => topicMatches(r.filter, topic)) || this.inRefs.has(topic);
  }

  /** Does a filter held on Alicia's broker match this topic? */
  holdsOut(topic: string): boolean {
    return this.staticOut.some((r) => topicMatches(r.filter, topic)) || this.outRefs.has(topic);
  }

  /** A Home Assistant discovery config topic the bridge follows (adoption on, `<prefix>/<component>/.../config`). */
  isDiscoveryConfig(topic: string): boolean {
    return this.prefix !== null && parseDiscoveryTopic(topic, this.prefix) !== undefined;
  }

  /**
   * A discovery config came in on `configTopic`: follow the topics it names, drop those its previous
   * version named and this one does not. An empty payload (HA's way to remove a device) or anything
   * that is not a JSON object follows nothing.
   */
  followConfig(configTopic: string, payload: Buffer): RouteChange {
    const next = this.topicsOf(payload);
    const prev = this.byConfig.get(configTopic) ?? { in: [], out: [] };
    if (next.in.length || next.out.length) this.byConfig.set(configTopic, next);
    else this.byConfig.delete(configTopic);
    return {
      in: diffRefs(this.inRefs, prev.in, next.in, this.followQos),
      out: diffRefs(this.outRefs, prev.out, next.out, this.followQos),
    };
  }

  private topicsOf(payload: Buffer): Followed {
    if (payload.length === 0) return { in: [], out: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return { in: [], out: [] };
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { in: [], out: [] };
    const t = discoveryTopics(expandConfig(raw as Record<string, unknown>));
    return {
      in: t.fromDevice.filter(
        (x) => isValidTopicName(x) && canPublish('bridge', x) && !this.staticIn.some((r) => topicMatches(r.filter, x)),
      ),
      out: t.toDevice.filter(
        (x) => isValidTopicName(x) && canSubscribe('bridge', x) && !this.staticOut.some((r) => topicMatches(r.filter, x)),
      ),
    };
  }
}

/** Move the reference counts from prev to next; what went 0 -> 1 is added, what went 1 -> 0 removed. */
function diffRefs(
  refs: Map<string, number>,
  prev: readonly string[],
  next: readonly string[],
  qos: 0 | 1,
): { add: Route[]; remove: string[] } {
  const add: Route[] = [];
  for (const t of next) {
    const n = refs.get(t) ?? 0;
    refs.set(t, n + 1);
    if (n === 0) add.push({ filter: t, qos });
  }
  for (const t of prev) {
    const n = (refs.get(t) ?? 1) - 1;
    if (n <= 0) refs.delete(t);
    else refs.set(t, n);
  }
  // net: a topic in prev and next keeps its count; only the true changes are reported
  return {
    add: add.filter((r) => !prev.includes(r.filter)),
    remove: prev.filter((t) => !refs.has(t)),
  };
}

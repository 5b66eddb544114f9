import { z } from 'zod';
import { topicFilterProblem } from '../../../services/lib/protocol/topicNames.js';
import { HA_DISCOVERY_PREFIX } from '../../../services/lib/protocol/topics.js';
import { canSubscribe } from '../broker/acl.js';

/**
 * config.json `broker.bridges`: the user's own brokers Alicia's broker is bridged to (bridge.ts).
 * Strict like the rest of the config: an unknown key, a URL that is not mqtt:// or mqtts://, a bad
 * filter, two bridges with one name, or a filter the bridge may not hold on Alicia's broker
 * (BRIDGE_ACL: never alicia/ or $ topics) is CONFIG_INVALID naming the key, at startup.
 */

const comment = { '//': z.string().optional() };
const positiveInt = z.number().int().positive();

/** One level of alicia/system/bridge/<name>, and the upstream client id's suffix. */
export const BRIDGE_NAME_RE = /^[a-z0-9_-]{1,40}$/;

const filterProblem = (filter: string): string | null => {
  const p = topicFilterProblem(filter);
  if (p) return p.message;
  if (filter.startsWith('$')) return 'a bridge never carries $ topics (the brokers own them)';
  return null;
};

const route = (direction: 'in' | 'out') =>
  z.strictObject({
    ...comment,
    filter: z.string().superRefine((f, ctx) => {
      const why =
        filterProblem(f) ??
        // out: the bridge subscribes on Alicia's broker, where its ACL allows device topics only
        (direction === 'out' && !canSubscribe('bridge', f)
          ? 'an out filter must lie under a device topic root (not alicia/, homeassistant/ or a wildcard first level)'
          : null);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    }),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
  });

const tlsSection = z.strictObject({
  ...comment,
  /** PEM file of the CA that signed the upstream broker's certificate (else the system's CAs) */
  ca_file: z.string().min(1).optional(),
  /** client certificate and key (PEM files), for brokers that ask for one */
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  reject_unauthorized: z.boolean().default(true),
});

const homeAssistantSection = z.strictObject({
  ...comment,
  /** bring `<prefix>/#` in, and follow the state, availability and command topics its configs name */
  enabled: z.boolean().default(true),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'one topic level')
    .default(HA_DISCOVERY_PREFIX),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
});

const bridgeSection = z
  .strictObject({
    ...comment,
    name: z.string().regex(BRIDGE_NAME_RE, 'use [a-z0-9_-]{1,40}'),
    url: z.string().superRefine((u, ctx) => {
      let url: URL | null = null;
      try {
        url = new URL(u);
      } catch {
        /* reported below */
      }
      if (!url || (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') || !url.hostname) {
        ctx.addIssue({ code: 'custom', message: 'expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]' });
      } else if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'put the credential in username and password (or password_file), not in the URL' });
      }
    }),
    username: z.string().min(1).optional(),
    /** the password as text; or password_file: a file holding it (first line), kept out of config.json */
    password: z.string().optional(),
    password_file: z.string().min(1).optional(),
    /** default alicia-bridge-<name> */
    client_id: z.string().min(1).max(64).optional(),
    tls: tlsSection.optional(),
    home_assistant: homeAssistantSection.default(() => homeAssistantSection.parse({})),
    topics: z
      .strictObject({ ...comment, in: z.array(route('in')).max(200).default([]), out: z.array(route('out')).max(200).default([]) })
      .default({ in: [], out: [] }),
    reconnect: z
      .strictObject({ ...comment, initial_ms: positiveInt.default(1000), max_ms: positiveInt.default(30_000) })
      .default({ initial_ms: 1000, max_ms: 30_000 }),
  })
  .superRefine((b, ctx) => {
    if (b.password !== undefined && b.password_file !== undefined)
      ctx.addIssue({ code: 'custom', path: ['password_file'], message: 'give password or password_file, not both' });
    if ((b.password !== undefined || b.password_file !== undefined) && b.username === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
    if ((b.tls?.cert_file === undefined) !== (b.tls?.key_file === undefined))
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'cert_file and key_file go together' });
  });

export const bridgesConfigSchema = z
  .array(bridgeSection)
  .max(16)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((b, i) => {
      if (seen.has(b.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two bridges are named ${b.name}` });
      seen.add(b.name);
    });
  });

export type BridgeSettings = z.output<typeof bridgeSection>;

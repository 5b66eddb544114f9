/**
 * Service nodes and instances: a service may run more than once, on the host and on other machines
 * (`alicia node`), each run an instance named by its node. The host is the node named `host`.
 * Instances of one service split its requests through a shared subscription whose group is the
 * service's name (sharedSubscription.ts).
 */

/** The node name of the host itself. */
export const HOST_NODE = 'host';

/** Node names: one topic level, lower-case, e.g. a machine's name (`kitchen-box`). */
export const NODE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function isNodeName(s: string): boolean {
  return NODE_NAME_RE.test(s);
}

/**
 * An instance's id: the service's name on the host (so the host's client ids and persistent sessions
 * stay what they were), `<service>@<node>` on any other node.
 */
export function instanceId(service: string, node: string): string {
  return node === HOST_NODE ? service : `${service}@${node}`;
}

/** The MQTT client id of a node's supervisor (`alicia node --name <node>`): one connection per node. */
export function nodeClientId(node: string): string {
  return `alicia-node@${node}`;
}

/**
 * Whether an announcement (heartbeat, metrics, registration) is about one of the host's instances. The
 * health monitor and discovery follow those (the host's supervisor states are theirs); a service
 * node's instances are in its record (alicia/system/nodes/<node>), so one of them dying does not
 * read as the service going down while the host's still answers.
 */
export function isHostInstance(m: { node?: string | undefined }): boolean {
  return m.node === undefined || m.node === HOST_NODE;
}

/**
 * The topic tree model: every topic seen, with message/subtopic counts and a bounded history per
 * topic. Plain TypeScript, mutated in place by the bus connection, outside React: at 10k msg/s a
 * store commit per message would freeze the window, so topic indexing stays off the React render
 * path. The view reads it after each per-frame commit (see `version`).
 *
 * Memory is bounded three ways, and every eviction is counted so the UI can show it (truncation is
 * never silent): per topic by message count and by bytes, and globally by bytes and entry count
 * (oldest entries anywhere go first). The latest message of a topic is always kept.
 */

export interface HistoryEntry {
  /** global arrival sequence number */
  seq: number;
  /** arrival time in the window (ms since epoch) */
  time: number;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
}

export interface TopicNode {
  /** this level's name ('' for the root) */
  name: string;
  /** full topic ('' for the root) */
  path: string;
  parent: TopicNode | null;
  children: Map<string, TopicNode>;
  /** children sorted by name; null = needs sorting */
  sorted: TopicNode[] | null;
  /** messages on exactly this topic (since the window connected or the topic last reappeared) */
  messages: number;
  /** messages on this topic and all below */
  total: number;
  /** topics (levels with at least one message) in this subtree, this one included */
  topicCount: number;
  /** true once this exact topic carried a message (not just a level on the way) */
  hasMessages: boolean;
  /** last known retained state: set when a retained copy arrives, cleared by an empty payload */
  retained: boolean;
  /** oldest first */
  history: HistoryEntry[];
  historyBytes: number;
  /** entries evicted from this topic's history by the limits (shown as a truncation marker) */
  evicted: number;
  /** why the last eviction happened, for the marker text */
  evictedBy: 'count' | 'bytes' | 'global' | null;
  lastTime: number;
  /** bumped on every change in this subtree: lets views memoise per node */
  version: number;
  /** UI state kept with the node so expanding 20k topics costs no extra maps */
  expanded: boolean;
}

interface TopicIndexLimits {
  /** messages kept per topic */
  perTopicCount: number;
  /** bytes of payload kept per topic (the latest message is kept whatever its size) */
  perTopicBytes: number;
  /** bytes of payload kept over all topics */
  totalBytes: number;
  /** history entries kept over all topics */
  totalEntries: number;
}

export const DEFAULT_LIMITS: TopicIndexLimits = {
  perTopicCount: 50,
  perTopicBytes: 256 * 1024,
  totalBytes: 48 * 1024 * 1024,
  totalEntries: 200_000,
};

function newNode(name: string, path: string, parent: TopicNode | null): TopicNode {
  return {
    name,
    path,
    parent,
    children: new Map(),
    sorted: [],
    messages: 0,
    total: 0,
    topicCount: 0,
    hasMessages: false,
    retained: false,
    history: [],
    historyBytes: 0,
    evicted: 0,
    evictedBy: null,
    lastTime: 0,
    version: 0,
    expanded: false,
  };
}

export class TopicIndex {
  readonly root: TopicNode = newNode('', '', null);
  readonly limits: TopicIndexLimits;
  /** every message ever added (never decreases, even when topics are removed): the UI's "received" count */
  received = 0;
  /** bumped on every change: the store copies it once per frame */
  version = 0;
  private seq = 0;
  private totalBytes = 0;
  private liveEntries = 0;
  private readonly byPath = new Map<string, TopicNode>();
  /** global FIFO of (node, seq) in arrival order; stale pairs (already evicted) are skipped */
  private qNodes: (TopicNode | null)[] = [];
  private qSeqs: number[] = [];
  private qHead = 0;
  /** topics this window published with RETAIN whose own copy has not arrived yet (see markRetained) */
  private retainedSoon = new Set<string>();

  constructor(limits: Partial<TopicIndexLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.root.expanded = true;
  }

  get topicCount(): number {
    return this.root.topicCount;
  }

  get historyBytes(): number {
    return this.totalBytes;
  }

  get historyEntries(): number {
    return this.liveEntries;
  }

  get(path: string): TopicNode | undefined {
    return this.byPath.get(path);
  }

  /** Any node, including levels without messages of their own. */
  find(path: string): TopicNode | undefined {
    const hit = this.byPath.get(path);
    if (hit) return hit;
    let n: TopicNode | undefined = this.root;
    for (const part of path.split('/')) {
      n = n.children.get(part);
      if (!n) return undefined;
    }
    return n;
  }

  /** All topics that carry messages (for filtering). */
  topics(): IterableIterator<TopicNode> {
    return this.byPath.values();
  }

  /**
   * Record one message. An empty payload removes the topic (MQTT: an empty retained message deletes
   * the retained copy; MQTT Explorer treats it the same way), keeping its levels if they have children.
   */
  add(topic: string, payload: Uint8Array, qos = 0, retain = false, time = Date.now()): TopicNode | null {
    this.received++;
    this.version++;
    if (payload.byteLength === 0) {
      this.remove(topic);
      return null;
    }
    let node = this.byPath.get(topic);
    if (!node) node = this.create(topic);
    const isNew = !node.hasMessages;
    node.hasMessages = true;
    node.messages++;
    node.lastTime = time;
    if (retain || this.retainedSoon.delete(topic)) node.retained = true;
    const entry: HistoryEntry = { seq: ++this.seq, time, payload, qos, retain };
    node.history.push(entry);
    node.historyBytes += payload.byteLength;
    this.totalBytes += payload.byteLength;
    this.liveEntries++;
    this.qNodes.push(node);
    this.qSeqs.push(entry.seq);
    for (let n: TopicNode | null = node; n; n = n.parent) {
      n.total++;
      if (isNew) n.topicCount++;
      n.version++;
    }
    this.trimTopic(node);
    this.trimGlobal();
    return node;
  }

  /**
   * This window published a retained message on `topic`. The broker delivers it back to the
   * window's own subscription with RETAIN=0 (MQTT 3.1.1 section 3.3.1.3: the flag is set only on
   * copies sent for a new subscription), so the tree would not know the broker now keeps it.
   */
  markRetained(topic: string): void {
    const node = this.byPath.get(topic);
    if (!node) {
      this.retainedSoon.add(topic);
      return;
    }
    node.retained = true;
    this.version++;
    for (let n: TopicNode | null = node; n; n = n.parent) n.version++;
  }

  /** Forget a topic's messages; drop its node and any levels left empty above it. */
  remove(topic: string): void {
    const node = this.byPath.get(topic);
    if (!node) return;
    this.byPath.delete(topic);
    const msgs = node.messages;
    this.totalBytes -= node.historyBytes;
    this.liveEntries -= node.history.length;
    node.history = [];
    node.historyBytes = 0;
    node.hasMessages = false;
    node.retained = false;
    node.messages = 0;
    node.evicted = 0;
    node.evictedBy = null;
    for (let n: TopicNode | null = node; n; n = n.parent) {
      n.total -= msgs;
      n.topicCount--;
      n.version++;
    }
    // prune empty levels bottom-up
    let n: TopicNode | null = node;
    while (n && n.parent && n.children.size === 0 && !n.hasMessages) {
      n.parent.children.delete(n.name);
      n.parent.sorted = null;
      n = n.parent;
    }
  }

  /** Children sorted by name (cached until a child is added or removed). */
  childrenOf(node: TopicNode): TopicNode[] {
    if (!node.sorted) {
      node.sorted = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return node.sorted;
  }

  /** Topics under (and including) a node that carry messages. */
  topicsUnder(node: TopicNode): TopicNode[] {
    const out: TopicNode[] = [];
    const walk = (n: TopicNode) => {
      if (n.hasMessages) out.push(n);
      for (const c of n.children.values()) walk(c);
    };
    walk(node);
    return out;
  }

  private create(topic: string): TopicNode {
    // MQTT topic levels are split on '/', empty levels are legal ("a//b", "/a").
    const parts = topic.split('/');
    let n = this.root;
    let path = '';
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      path = i === 0 ? name : `${path}/${name}`;
      let c = n.children.get(name);
      if (!c) {
        c = newNode(name, path, n);
        n.children.set(name, c);
        n.sorted = null;
      }
      n = c;
    }
    this.byPath.set(topic, n);
    return n;
  }

  private dropOldest(node: TopicNode, reason: 'count' | 'bytes' | 'global'): void {
    const e = node.history.shift();
    if (!e) return;
    node.historyBytes -= e.payload.byteLength;
    this.totalBytes -= e.payload.byteLength;
    this.liveEntries--;
    node.evicted++;
    node.evictedBy = reason;
    node.version++;
  }

  private trimTopic(node: TopicNode): void {
    const { perTopicCount, perTopicBytes } = this.limits;
    while (node.history.length > perTopicCount) this.dropOldest(node, 'count');
    while (node.history.length > 1 && node.historyBytes > perTopicBytes) this.dropOldest(node, 'bytes');
  }

  private trimGlobal(): void {
    const { totalBytes, totalEntries } = this.limits;
    while ((this.totalBytes > totalBytes || this.qNodes.length - this.qHead > totalEntries) && this.qHead < this.qNodes.length) {
      const node = this.qNodes[this.qHead];
      const seq = this.qSeqs[this.qHead] as number;
      this.qNodes[this.qHead] = null;
      this.qHead++;
      // Only evict if this queue slot still names the topic's oldest kept entry, and never its latest.
      if (node && node.history.length > 1 && node.history[0]?.seq === seq && this.byPath.get(node.path) === node) {
        this.dropOldest(node, 'global');
      }
    }
    if (this.qHead > 4096 && this.qHead * 2 > this.qNodes.length) {
      this.qNodes = this.qNodes.slice(this.qHead);
      this.qSeqs = this.qSeqs.slice(this.qHead);
      this.qHead = 0;
    }
  }
}

/** One row of the tree as shown: a node and its depth. */
export interface TreeRow {
  node: TopicNode;
  depth: number;
}

/** Flatten the expanded part of the tree into rows (only what could be on screen is rendered from it). */
export function visibleRows(index: TopicIndex): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (n: TopicNode, depth: number) => {
    for (const c of index.childrenOf(n)) {
      rows.push({ node: c, depth });
      if (c.expanded && c.children.size > 0) walk(c, depth + 1);
    }
  };
  walk(index.root, 0);
  return rows;
}

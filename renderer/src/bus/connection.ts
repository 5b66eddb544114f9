import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { decode } from '../../../services/lib/protocol/decode.js';
import { newId, seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { TOPICS, patternOf } from '../../../services/lib/protocol/topics.js';
import type { BodyOf, MessageOf, ReplyTopicOf, RequestTopic, TopicDef, TopicPattern } from '../../../services/lib/protocol/topics.js';
import { TopicIndex } from '../model/topicIndex.js';
import { useConnection } from '../stores/connectionStore.js';
import { useTopics } from '../stores/topicsStore.js';
import { SignedOutError, getConnectionInfo, signOutOfHost } from './connectionInfo.js';
import type { ConnectionInfo } from './connectionInfo.js';
import { onNextFrame } from './frame.js';
import { PendingRequests, RefusedError } from './pending.js';
import { routeCleared, routeMessage } from './router.js';

/**
 * The window's one MQTT connection (MQTT stays out of React: components only select from the stores). It subscribes to the
 * whole tree (the topic view needs `#`; `$SYS/alicia/#` because `#` never matches `$` topics, MQTT
 * 3.1.1 section 4.7.2), indexes every message into the TopicIndex, decodes Alicia topics with the
 * shared protocol and hands them to the router, which writes the zustand stores once per frame.
 */

/** The topic index, shared with the Topics view (read-only there, apart from UI flags on nodes). */
export const topicIndex = new TopicIndex();

const pending = new PendingRequests();
let client: MqttClient | null = null;
let info: ConnectionInfo | null = null;
const SOURCE = 'window';

/** Subscriptions: the whole tree plus the broker's own stats branch. */
const SUBSCRIPTIONS = ['#', '$SYS/alicia/#'];

function commitTopics(): void {
  onNextFrame('topics', () => {
    useTopics.setState({ version: topicIndex.version, received: topicIndex.received, topicCount: topicIndex.topicCount });
  });
}

function onMessage(topic: string, payload: Uint8Array, packet: { qos: number; retain: boolean }): void {
  // Copy: mqtt.js hands out views into its receive buffer; keeping them would pin whole chunks.
  const bytes = new Uint8Array(payload);
  topicIndex.add(topic, bytes, packet.qos, packet.retain);
  commitTopics();
  if (!topic.startsWith('alicia/') && !topic.startsWith('$SYS/alicia/')) return;
  const pattern = patternOf(topic);
  if (!pattern) return;
  if (bytes.byteLength === 0) {
    routeCleared(topic, pattern);
    return;
  }
  let msg: MessageOf<TopicPattern>;
  try {
    msg = decode(pattern, bytes);
  } catch (e) {
    // Invalid messages are shown raw in the tree; the stores only take valid ones.
    const invalid = e instanceof AliciaError ? e : new AliciaError('SCHEMA_INVALID', String(e));
    console.debug(`dropped invalid ${topic}: ${invalid.message}`);
    // but an invalid answer still settles its request, so the UI shows the error rather than waiting
    const kind = TOPICS[pattern].kind;
    if (kind === 'reply' || kind === 'error') settleInvalid(topic, bytes, invalid);
    return;
  }
  pending.settle(topic, msg);
  routeMessage(topic, pattern, msg);
}

function settleInvalid(topic: string, bytes: Uint8Array, invalid: AliciaError): void {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    raw = null; // not JSON: no correlation id, nothing to settle
  }
  pending.settleInvalid(topic, raw, invalid);
}

/** CONNACK 4 (bad user name or password) and 5 (not authorized: the session ended): the credential is dead. */
const REFUSED_CREDENTIAL = new Set([4, 5]);
let rateTimer: ReturnType<typeof setInterval> | null = null;

export async function startConnection(): Promise<void> {
  if (client) return;
  useConnection.setState({ status: 'connecting', error: null });
  try {
    info = await getConnectionInfo();
  } catch (e) {
    if (e instanceof SignedOutError) {
      useConnection.setState({ status: 'signed-out', error: null, signedOut: useConnection.getState().signedOut ?? 'session-ended' });
      return;
    }
    useConnection.setState({ status: 'error', error: `Cannot reach the Alicia host: ${(e as Error).message}` });
    setTimeout(() => void startConnection(), 3000);
    return;
  }
  useConnection.setState({ url: info.ws_url, username: info.username, version: info.version, sessionId: info.session_id ?? null });
  const c = mqtt.connect(info.ws_url, {
    username: info.username,
    password: info.password,
    clientId: `window-${newId().slice(0, 8)}`,
    // Aedes speaks MQTT 3.1.1 only: it refuses an MQTT 5 CONNECT.
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    keepalive: 30,
  });
  client = c;
  c.on('connect', () => {
    useConnection.setState({ status: 'connected', error: null });
    c.subscribeAsync(Object.fromEntries(SUBSCRIPTIONS.map((topic) => [topic, { qos: 1 as const }])))
      .then((granted) => {
        const denied = granted.filter((g) => g.qos === 128).map((g) => g.topic);
        if (denied.length) useConnection.setState({ error: `The broker refused subscriptions: ${denied.join(', ')}` });
      })
      .catch((e: Error) => useConnection.setState({ error: `Subscribe failed: ${e.message}` }));
  });
  // a dropped client (dropClient) may still report its end: only the current one writes the store
  c.on('reconnect', () => client === c && useConnection.setState({ status: 'reconnecting' }));
  c.on('offline', () => client === c && useConnection.setState({ status: 'offline' }));
  c.on('close', () => {
    if (client === c && useConnection.getState().status === 'connected') useConnection.setState({ status: 'reconnecting' });
  });
  c.on('error', (e) => {
    // The broker refused this window's credential: its session ended (signed out elsewhere, ended
    // from a Health view, the host restarted). Retrying the same password cannot help: ask the host
    // again, which answers a new credential (the desktop app) or 401 (a browser: sign in again).
    if (client !== c) return;
    if (REFUSED_CREDENTIAL.has((e as { code?: number }).code ?? 0)) {
      dropClient(c);
      setTimeout(() => void startConnection(), 1000);
      return;
    }
    useConnection.setState({ error: e.message });
  });
  c.on('message', (topic, payload, packet) => onMessage(topic, payload, packet));
  let last = topicIndex.received;
  // The window keeps its connection for the life of the page: nothing stops this timer.
  rateTimer ??= setInterval(() => {
    const now = topicIndex.received;
    useConnection.setState({ rate: now - last });
    last = now;
  }, 1000);
}

/** Close a client for good (no reconnect) and forget it, so startConnection() makes a new one. */
function dropClient(c: MqttClient): void {
  if (client === c) client = null;
  c.end(true);
}

/**
 * Sign this browser out (the topbar's "Sign out"; not in the desktop app): the host ends the
 * session, revokes its broker credential and drops the cookie; the window then shows how to sign in again.
 */
export async function signOut(): Promise<void> {
  await signOutOfHost();
  if (client) dropClient(client);
  info = null;
  useConnection.setState({ status: 'signed-out', error: null, signedOut: 'signed-out', sessionId: null });
}

function requireClient(): MqttClient {
  if (!client || !client.connected) throw new AliciaError('NOT_CONNECTED', 'not connected to the bus');
  return client;
}

interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** Publish text anywhere (publish form, clearing retained topics). */
export async function publishRaw(topic: string, payload: string, opts: PublishOptions = {}): Promise<void> {
  const c = requireClient();
  await c.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false });
}

interface RequestOptions {
  timeoutMs?: number;
  trace_id?: string;
  session_id?: string;
  /** shown in a timeout message: "stop stt: no answer within 10 s" */
  what?: string;
}

/**
 * Control-plane request: seal the body with a fresh correlation id, publish on the request topic
 * and wait for the reply (or the error reply) carrying that id. Rejects with AliciaError (TIMEOUT,
 * NOT_CONNECTED, or the remote error code).
 */
export async function request<P extends RequestTopic>(
  pattern: P,
  body: BodyOf<P>,
  opts: RequestOptions = {},
): Promise<MessageOf<ReplyTopicOf<P>>> {
  const c = requireClient();
  const def: TopicDef = TOPICS[pattern];
  const correlation_id = newId();
  const replyTopics = [def.reply, def.error].filter((t): t is string => typeof t === 'string');
  const fields: Parameters<typeof seal>[1] = { source: SOURCE, correlation_id, trace_id: opts.trace_id ?? correlation_id };
  if (opts.session_id) fields.session_id = opts.session_id;
  const msg = seal(body as object, fields);
  const answer = pending.add<MessageOf<ReplyTopicOf<P>>>(correlation_id, replyTopics, opts.timeoutMs ?? 10_000, opts.what ?? pattern);
  try {
    await c.publishAsync(pattern, JSON.stringify(msg), { qos: def.qos });
  } catch (e) {
    pending.fail(correlation_id, new AliciaError('NOT_CONNECTED', (e as Error).message));
  }
  return answer;
}

/**
 * The answer behind a refused request, when the service answered its failure on the reply topic
 * itself with more than the error (the voice router: a whole voice result with ok:false); null for
 * any other failure.
 */
export function refusedReply<P extends RequestTopic>(pattern: P, e: unknown): MessageOf<ReplyTopicOf<P>> | null {
  const def: TopicDef = TOPICS[pattern];
  // settle() only rejects with decoded messages, so a reply on P's reply topic has its type
  return e instanceof RefusedError && e.topic === def.reply ? (e.reply as MessageOf<ReplyTopicOf<P>>) : null;
}

/** A second, short-lived connection that collects which topics under a filter hold a retained message. */
export async function findRetained(filter: string, settleMs = 600): Promise<string[]> {
  if (!info) throw new AliciaError('NOT_CONNECTED', 'not connected to the bus');
  const probe = await mqtt.connectAsync(info.ws_url, {
    username: info.username,
    password: info.password,
    clientId: `window-probe-${newId().slice(0, 8)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const found = new Set<string>();
  try {
    // A new subscription gets every matching retained message with RETAIN=1 (MQTT 3.1.1 section 3.3.1.3).
    probe.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.byteLength > 0) found.add(topic);
    });
    await probe.subscribeAsync(filter, { qos: 0 });
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await probe.endAsync(true).catch(() => undefined);
  }
  return [...found].sort();
}

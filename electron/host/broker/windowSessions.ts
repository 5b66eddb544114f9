import { randomBytes } from 'node:crypto';
import { decode, replyIdsOf } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../../services/lib/protocol/errors.js';
import { aclRoleOf, isWindowPrincipal, type AnyPrincipal, type WindowPrincipal } from '../../../services/lib/protocol/services.js';
import { topicFor, type BodyOf, type MessageOf } from '../../../services/lib/protocol/topics.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import type { Credentials } from './credentials.js';
import type { BusPacket, Credential, InProcessBus } from './types.js';

/** What the registry needs of the broker (AliciaBroker). */
export interface SessionBroker {
  connectionsOf(principal: AnyPrincipal): number;
  disconnectPrincipal(principal: AnyPrincipal): number;
  onConnectionChange(listener: (principal: AnyPrincipal) => void): () => void;
}

export interface WindowSessionsOptions {
  bus: InProcessBus;
  credentials: Credentials;
  broker: SessionBroker;
  /** a session with no request and no broker connection for this long is ended (window.session_idle_minutes) */
  idleMs: number;
  /** the clock (tests move it); default Date.now */
  now?: () => number;
  /** how often idle sessions are looked for; default idleMs / 4, between 250 ms and 30 s */
  sweepIntervalMs?: number;
  /**
   * On the user's own broker packets carry no publisher (MQTT does not say who published): that
   * broker's ACL lets only the operator and the window publish requests here, so a packet without
   * one is accepted. Beside the embedded broker a packet without a publisher is refused.
   */
  brokerChecksPublishers?: boolean;
  log: Logger;
}

export type WindowSessionKind = MessageOf<'alicia/system/window/sessions'>['sessions'][number]['kind'];
type PublicSession = BodyOf<'alicia/system/window/sessions'>['sessions'][number];

/** Why a session ended (logged; the window finds out from a 401 or a CONNACK 5). */
export type WindowSessionEnd = 'signed out' | 'idle' | 'ended by request' | 'host stopping';

export interface OpenWindowSession {
  kind: WindowSessionKind;
  userAgent: string;
  /** where it signed in from ("local" for the desktop app) */
  remote: string;
  /** false: never idle-expired (the desktop app's window, for as long as the app runs) */
  expires: boolean;
}

interface Session {
  id: string;
  principal: WindowPrincipal;
  credential: Credential;
  kind: WindowSessionKind;
  createdAt: number;
  lastSeen: number;
  userAgent: string;
  remote: string;
  expires: boolean;
}

const SESSIONS_TOPIC = topicFor('alicia/system/window/sessions');
const REQUEST_TOPIC = topicFor('alicia/system/window/request');
const RESPONSE_TOPIC = topicFor('alicia/system/window/response');

/**
 * The open window sessions (docs/security.md, "Window sessions"): one per browser that signed in
 * with the host's login token (http/browserLogin.ts) and one for the desktop app's window. Each has
 * its own broker credential, principal `window:<id>` with the window role's rules, in memory only
 * (Credentials.issueWindow): when the session ends (signed out, idle, ended from the Health view,
 * host stopping) the credential is revoked and its live connections are closed, so a copied
 * credential dies with its session.
 *
 * It publishes the list, retained and in-process, on alicia/system/window/sessions (host only) and
 * answers alicia/system/window/request `{action:"end", session}` from the operator and the window.
 * Constructor assigns, start() subscribes and starts the idle sweep, stop() ends every session.
 */
export class WindowSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly endedListeners = new Set<(id: string) => void>();
  private readonly now: () => number;
  private unsubscribe: (() => Promise<void>) | null = null;
  private offConnections: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** a last_seen changed since the list was last published (published by the next sweep) */
  private dirty = false;
  private publishing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: WindowSessionsOptions) {
    this.now = opts.now ?? Date.now;
  }

  get idleMs(): number {
    return this.opts.idleMs;
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = await this.opts.bus.subscribe(REQUEST_TOPIC, (p) => void this.onRequest(p));
    this.offConnections = this.opts.broker.onConnectionChange((p) => this.onConnectionChange(p));
    const every = this.opts.sweepIntervalMs ?? Math.min(30_000, Math.max(250, Math.floor(this.opts.idleMs / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
    this.publish();
    await this.publishing;
  }

  /** Ends every session (their credentials die with the host anyway), then lets go of the bus. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.offConnections?.();
    this.offConnections = null;
    for (const id of [...this.sessions.keys()]) this.end(id, 'host stopping');
    await this.publishing;
    const u = this.unsubscribe;
    this.unsubscribe = null;
    if (u) await u();
  }

  /** A new session and its broker credential (the plaintext password stays in this process's memory). */
  open(o: OpenWindowSession): { id: string; credential: Credential } {
    const id = randomBytes(12).toString('base64url');
    const { principal, username, password } = this.opts.credentials.issueWindow(id);
    const t = this.now();
    this.sessions.set(id, {
      id,
      principal,
      credential: { username, password },
      kind: o.kind,
      createdAt: t,
      lastSeen: t,
      userAgent: o.userAgent.slice(0, 256),
      remote: o.remote.slice(0, 64),
      expires: o.expires,
    });
    this.opts.log.info('window session opened', { id, kind: o.kind, remote: o.remote });
    this.publish();
    return { id, credential: { username, password } };
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** The broker credential of a live session (GET /api/connection answers it to its own browser). */
  credentialOf(id: string): Credential | undefined {
    const s = this.sessions.get(id);
    return s ? { ...s.credential } : undefined;
  }

  /** The session made a request: it is not idle. False when it has ended. */
  touch(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.lastSeen = this.now();
    this.dirty = true;
    return true;
  }

  /**
   * End a session: its credential is refused from now on (CONNACK 5), its connections are closed,
   * the list is republished. Returns the number of connections closed, or null for an unknown id.
   */
  end(id: string, why: WindowSessionEnd): number | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    this.sessions.delete(id);
    this.opts.credentials.revokeWindow(id);
    const disconnected = this.opts.broker.disconnectPrincipal(s.principal);
    this.opts.log.info('window session ended', { id, kind: s.kind, why, disconnected });
    for (const l of this.endedListeners) l(id);
    this.publish();
    return disconnected;
  }

  /** Called with the id of every session that ends (the web server forgets its cookie). */
  onEnded(listener: (id: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => void this.endedListeners.delete(listener);
  }

  /** The public list (what alicia/system/window/sessions carries), oldest first. */
  list(): PublicSession[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      kind: s.kind,
      created_at: s.createdAt,
      last_seen: s.lastSeen,
      user_agent: s.userAgent,
      remote: s.remote,
      connections: this.opts.broker.connectionsOf(s.principal),
      expires: s.expires,
    }));
  }

  /**
   * End the sessions idle for idleMs: no request (touch) and no broker connection of their
   * credential. A live connection counts as activity, so an open window never times out.
   */
  sweep(): void {
    const t = this.now();
    for (const s of [...this.sessions.values()]) {
      if (this.opts.broker.connectionsOf(s.principal) > 0) {
        s.lastSeen = t;
        continue;
      }
      if (s.expires && t - s.lastSeen >= this.opts.idleMs) this.end(s.id, 'idle');
    }
    if (this.dirty) this.publish();
  }

  private onConnectionChange(p: AnyPrincipal): void {
    if (!isWindowPrincipal(p)) return;
    const s = this.sessions.get(p.slice(7));
    if (!s) return;
    // the connect or disconnect itself is a sign of life; a disconnect starts the idle clock
    s.lastSeen = this.now();
    this.publish();
  }

  /** Publish the list (retained, in order: each publish waits for the previous one). */
  private publish(): void {
    this.dirty = false;
    const body = seal({ sessions: this.list(), idle_minutes: this.opts.idleMs / 60_000 }, { source: 'host' });
    this.publishing = this.publishing
      .then(() => this.opts.bus.publish(SESSIONS_TOPIC, JSON.stringify(body), { qos: 1, retain: true }))
      .catch((e: unknown) => this.opts.log.warn('window sessions publish failed', { error: String(e) }));
  }

  private async onRequest(p: BusPacket): Promise<void> {
    const ids = replyIdsOf(p.payload);
    let body: Record<string, unknown>;
    try {
      // Only the operator and the window role may end sessions. No service's ACL lets it publish
      // here; checked again, as the answer goes to whoever asks.
      const role = p.principal === null ? (this.opts.brokerChecksPublishers ? 'broker-checked' : null) : aclRoleOf(p.principal);
      if (role !== 'operator' && role !== 'window' && role !== 'broker-checked') {
        throw new AliciaError('FORBIDDEN', 'only the operator and the window may end window sessions');
      }
      const msg = decode('alicia/system/window/request', p.payload);
      const disconnected = this.end(msg.session, 'ended by request');
      if (disconnected === null) throw new AliciaError('WINDOW_SESSION_UNKNOWN', `no open window session ${JSON.stringify(msg.session)}`);
      body = { ok: true, action: msg.action, session: msg.session, disconnected };
    } catch (e) {
      const info = toErrorInfo(e);
      this.opts.log.warn('window session request refused', { code: info.code, by: p.principal });
      body = { ok: false, error: info, request_topic: REQUEST_TOPIC };
    }
    await this.opts.bus.publish(RESPONSE_TOPIC, JSON.stringify(seal(body, { source: 'host', ...ids })), { qos: 1 }).catch(() => undefined);
  }
}

import { decode, peekEnvelope } from '../../services/protocol/decode.js';
import { seal } from '../../services/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../services/protocol/errors.js';
import { SERVICE_NAMES, isServiceName, type ServiceName } from '../../services/protocol/services.js';
import type { Credentials } from './credentials.js';
import type { BusPacket, InProcessBus } from './types.js';

export interface CredentialRotationOptions {
  bus: InProcessBus;
  credentials: Credentials;
  /** close connections still using an old password (AliciaBroker.disconnectPrincipal) */
  disconnectPrincipal: (principal: ServiceName) => number;
  /** restart a service so it connects with its new credential (Supervisor.control('restart', name)) */
  restartService: (name: ServiceName) => Promise<unknown>;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

const REQUEST = 'alicia/system/credentials/request';
const RESPONSE = 'alicia/system/credentials/response';

/**
 * Credential rotation from the window (issue 7): `alicia/system/credentials/request`
 * `{action:"rotate", principal:<service>|"services"}`, answered on .../response. Only operator and
 * window can publish there (no service ACL lists it; checked again here). Passwords never travel
 * on the bus: the new ones are written to credentials.json (0600, atomically) and each rotated
 * service is restarted by the supervisor, which hands it the new password in its environment.
 * A restart-free hand-over would need a credential message over the supervisor's IPC channel;
 * restarting keeps the secret off every wire and costs the service ~1 s (its persistent session
 * keeps the QoS 1 requests sent meanwhile).
 */
export class CredentialRotation {
  private unsubscribe: (() => Promise<void>) | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CredentialRotationOptions) {}

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = await this.opts.bus.subscribe(REQUEST, (p) => {
      // one rotation at a time: two overlapping ones would restart services twice
      this.queue = this.queue.then(() => this.onRequest(p));
    });
  }

  async stop(): Promise<void> {
    const u = this.unsubscribe;
    this.unsubscribe = null;
    if (u) await u();
    await this.queue;
  }

  private async onRequest(p: BusPacket): Promise<void> {
    const peek = peekEnvelope(p.payload);
    const ids = {
      ...((peek.correlation_id ?? peek.id) ? { correlation_id: peek.correlation_id ?? peek.id } : {}),
      ...(peek.trace_id ? { trace_id: peek.trace_id } : {}),
    };
    let body: Record<string, unknown>;
    try {
      if (p.principal !== 'operator' && p.principal !== 'window') {
        throw new AliciaError('SCHEMA_INVALID', 'only the operator and the window may rotate credentials');
      }
      const msg = decode(REQUEST, p.payload);
      const targets: ServiceName[] =
        msg.principal === 'services' ? [...SERVICE_NAMES] : isServiceName(msg.principal) ? [msg.principal] : [];
      if (targets.length === 0) {
        throw new AliciaError('SERVICE_UNKNOWN', `cannot rotate ${JSON.stringify(msg.principal)}: give a service name or "services"`);
      }
      const rotated: string[] = [];
      for (const t of targets) {
        await this.opts.credentials.rotate(t);
        rotated.push(t);
      }
      // never the passwords: names only
      this.opts.log.info('credentials rotated', { principals: rotated, by: p.principal });
      const restarted: string[] = [];
      for (const t of targets) {
        this.opts.disconnectPrincipal(t);
        await this.opts.restartService(t);
        restarted.push(t);
      }
      body = { ok: true, action: 'rotate', rotated, restarted };
    } catch (e) {
      const info = toErrorInfo(e);
      this.opts.log.warn('credential rotation refused', { code: info.code, by: p.principal });
      body = { ok: false, action: 'rotate', error: info, request_topic: REQUEST };
    }
    await this.opts.bus.publish(RESPONSE, JSON.stringify(seal(body, { source: 'host', ...ids })), { qos: 1 }).catch(() => undefined);
  }
}

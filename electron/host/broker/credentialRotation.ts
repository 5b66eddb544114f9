import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, replyIdsOf } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../../services/lib/protocol/errors.js';
import {
  SERVICE_NAMES,
  aclRoleOf,
  isDeviceName,
  isServiceName,
  type AnyPrincipal,
  type ServiceName,
} from '../../../services/lib/protocol/services.js';
import { forgetPrincipal } from './acl.js';
import type { Credentials } from './credentials.js';
import type { BusPacket, InProcessBus } from './types.js';

export interface CredentialRotationOptions {
  bus: InProcessBus;
  credentials: Credentials;
  /** close connections still using an old password (AliciaBroker.disconnectPrincipal) */
  disconnectPrincipal: (principal: AnyPrincipal) => number;
  /** where add_device writes a new device's password: `<dir>/<name>.txt` (0600, dir 0700) */
  deviceCredentialsDir: string;
  /** restart a service so it connects with its new credential (Supervisor.control('restart', name)) */
  restartService: (name: ServiceName) => Promise<unknown>;
  /**
   * Set on the user's own broker, which holds its own copy of the passwords: rotating or issuing
   * one here would lock the principal out there, so those actions answer BROKER_EXTERNAL with this
   * reason (list_devices still answers).
   */
  managedElsewhere?: string;
  /** packets without a publisher are the user's broker's, whose ACL checked them (WindowSessionsOptions) */
  brokerChecksPublishers?: boolean;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

const REQUEST = 'alicia/system/credentials/request';
const RESPONSE = 'alicia/system/credentials/response';
export const DEVICE_CREDENTIALS_DIR = 'device-credentials';

/**
 * Credential rotation from the window (docs/security.md): `alicia/system/credentials/request`
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
    const ids = replyIdsOf(p.payload);
    let body: Record<string, unknown>;
    let action = 'rotate';
    try {
      const role = p.principal === null ? (this.opts.brokerChecksPublishers ? 'broker-checked' : null) : aclRoleOf(p.principal);
      if (role !== 'operator' && role !== 'window' && role !== 'broker-checked') {
        throw new AliciaError('SCHEMA_INVALID', 'only the operator and the window may manage credentials');
      }
      const msg = decode(REQUEST, p.payload);
      action = msg.action;
      if (this.opts.managedElsewhere && msg.action !== 'list_devices') throw new AliciaError('BROKER_EXTERNAL', this.opts.managedElsewhere);
      if (msg.action !== 'rotate') {
        body = await this.onDeviceRequest(msg.action, msg.action === 'list_devices' ? '' : msg.name, p.principal);
      } else {
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
      }
    } catch (e) {
      const info = toErrorInfo(e);
      this.opts.log.warn('credential request refused', { code: info.code, by: p.principal });
      body = { ok: false, action, error: info, request_topic: REQUEST };
    }
    await this.opts.bus.publish(RESPONSE, JSON.stringify(seal(body, { source: 'host', ...ids })), { qos: 1 }).catch(() => undefined);
  }

  /**
   * add_device / remove_device / list_devices (per-device credentials). The response
   * topic is shared by every window and operator subscriber (and recorded), so a new password is
   * never put in it: it goes to `<deviceCredentialsDir>/<name>.txt` (0600 in a 0700 dir, on the
   * machine the user is at) and the answer names that file. The file is the only copy: the store
   * keeps a hash (credentials.ts). remove_device deletes it too.
   */
  private async onDeviceRequest(
    action: 'add_device' | 'remove_device' | 'list_devices',
    name: string,
    by: AnyPrincipal | null,
  ): Promise<Record<string, unknown>> {
    const creds = this.opts.credentials;
    if (action === 'list_devices') return { ok: true, action, devices: creds.devices() };
    if (!isDeviceName(name)) {
      throw new AliciaError(
        'SCHEMA_INVALID',
        `invalid device name ${JSON.stringify(name).slice(0, 60)}: use [a-z0-9_-]{1,40}, not alicia or homeassistant`,
      );
    }
    const principal = `device:${name}` as const;
    const file = join(this.opts.deviceCredentialsDir, `${name}.txt`);
    if (action === 'add_device') {
      const c = await creds.addDevice(name);
      await mkdir(this.opts.deviceCredentialsDir, { recursive: true, mode: 0o700 });
      await chmod(this.opts.deviceCredentialsDir, 0o700);
      const text = `# MQTT credential of external device "${name}" (Alicia Control Center). Configure it on the device, then delete this file.\nusername=${c.username}\npassword=${c.password}\n`;
      await rm(file, { force: true }); // a stale file may have a looser mode: writeFile's mode applies only on creation
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
      // re-issue: connections using the old password go
      const disconnected = this.opts.disconnectPrincipal(principal);
      forgetPrincipal(principal);
      this.opts.log.info('device credential issued', { device: name, replaced: c.replaced, by, password_file: file });
      return {
        ok: true,
        action,
        device: name,
        username: c.username,
        password_file: file,
        replaced: c.replaced,
        disconnected,
        devices: creds.devices(),
      };
    }
    const removed = await creds.removeDevice(name);
    if (!removed) throw new AliciaError('DEVICE_UNKNOWN', `no external device credential named ${name}`);
    await rm(file, { force: true });
    const disconnected = this.opts.disconnectPrincipal(principal);
    forgetPrincipal(principal);
    this.opts.log.info('device credential removed', { device: name, disconnected, by });
    return { ok: true, action, device: name, disconnected, devices: creds.devices() };
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import {
  PRINCIPALS,
  SERVICE_NAMES,
  isDeviceName,
  isDevicePrincipal,
  type AnyPrincipal,
  type DevicePrincipal,
  type Principal,
} from '../../../services/lib/protocol/services.js';
import type { Credential } from './types.js';

/** Everyone who may connect to the broker: every service, the operator (people, tools) and the window. */
export const ALL_PRINCIPALS: readonly Principal[] = [...SERVICE_NAMES, ...PRINCIPALS];

export const CREDENTIALS_FILE = 'credentials.json';
const FILE_VERSION = 1;

function isPrincipal(s: string): s is Principal {
  return (ALL_PRINCIPALS as readonly string[]).includes(s);
}

/** 24 random bytes, base64url: 192 bits, safe in URLs, env vars and mosquitto_pub -P. */
function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

interface FileShape {
  version: number;
  credentials: Record<string, { username: string; password: string }>;
  /**
   * External devices (per-device credentials): only a SHA-256 of the password is kept.
   * The host never needs a device's password again after handing it out once, and a 192-bit
   * random password needs no slow hash (nothing to brute-force), so verification stays cheap
   * under a CONNECT flood. Older versions ignore this key (no access for devices, as before).
   */
  devices?: Record<string, { sha256: string; created_at: number }>;
}

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/**
 * The broker's credential store: one generated password per principal, kept in
 * `<dataDir>/credentials.json` with mode 0600 in a 0700 directory, so that no other user of the
 * machine can read them. Username = principal name. Passwords never go to logs.
 */
export class Credentials {
  readonly path: string;
  private readonly byPrincipal = new Map<Principal, Credential>();
  private readonly deviceHashes = new Map<string, { sha256: Buffer; created_at: number }>();
  // A fixed-length dummy so an unknown username costs the same compare as a known one.
  private readonly dummy = Buffer.from(newPassword());

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Read the store, creating it (and any principal missing from it, e.g. a service added in a newer
   * version) when needed. Throws AliciaError CONFIG_INVALID naming the path when the file is
   * unreadable or corrupt: silently replacing it would lock out every configured external tool.
   */
  static async loadOrCreate(dataDir: string): Promise<Credentials> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = new Credentials(join(dataDir, CREDENTIALS_FILE));
    let raw: string | null = null;
    try {
      raw = await readFile(store.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        throw new AliciaError('CONFIG_INVALID', `cannot read credentials file ${store.path}: ${code ?? (e as Error).message}`);
      }
    }
    let changed = raw === null;
    if (raw !== null) store.parse(raw);
    for (const p of ALL_PRINCIPALS) {
      if (!store.byPrincipal.has(p)) {
        store.byPrincipal.set(p, { username: p, password: newPassword() });
        changed = true;
      }
    }
    if (changed) {
      await store.write();
    } else {
      // Tighten a file someone loosened (e.g. copied with a default umask).
      const st = await stat(store.path);
      if ((st.mode & 0o077) !== 0) await chmod(store.path, 0o600);
    }
    return store;
  }

  private parse(raw: string): void {
    const bad = (why: string) => new AliciaError('CONFIG_INVALID', `credentials file ${this.path} is invalid: ${why}`);
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      throw bad('not JSON');
    }
    const obj = data as Partial<FileShape> | null;
    if (!obj || typeof obj !== 'object' || obj.version !== FILE_VERSION || !obj.credentials || typeof obj.credentials !== 'object') {
      throw bad(`expected {"version":${FILE_VERSION},"credentials":{...}}`);
    }
    if (obj.devices !== undefined) {
      if (!obj.devices || typeof obj.devices !== 'object') throw bad('devices must be an object');
      for (const [name, d] of Object.entries(obj.devices)) {
        if (!isDeviceName(name)) throw bad(`devices.${name}: not a valid device name`);
        if (!d || typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) throw bad(`devices.${name}.sha256 missing or invalid`);
        this.deviceHashes.set(name, {
          sha256: Buffer.from(d.sha256, 'hex'),
          created_at: typeof d.created_at === 'number' ? d.created_at : 0,
        });
      }
    }
    for (const [name, c] of Object.entries(obj.credentials)) {
      if (!isPrincipal(name)) continue; // a principal removed in a newer version: ignore, it gets no access
      if (!c || typeof c.password !== 'string' || c.password.length < 16) throw bad(`credentials.${name}.password missing or too short`);
      this.byPrincipal.set(name, { username: name, password: c.password });
    }
  }

  /** Atomic replace: write a temp file (0600) and rename it over the old one. */
  private async write(): Promise<void> {
    const body: FileShape = { version: FILE_VERSION, credentials: {} };
    for (const [p, c] of this.byPrincipal) body.credentials[p] = { username: c.username, password: c.password };
    if (this.deviceHashes.size > 0) {
      body.devices = {};
      for (const [n, d] of this.deviceHashes) body.devices[n] = { sha256: d.sha256.toString('hex'), created_at: d.created_at };
    }
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, this.path);
    } catch (e) {
      throw new AliciaError(
        'CONFIG_INVALID',
        `cannot write credentials file ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }

  get(principal: Principal): Credential {
    const c = this.byPrincipal.get(principal);
    if (!c) throw new AliciaError('CONFIG_INVALID', `no credential for ${principal}`);
    return { ...c };
  }

  all(): Record<Principal, Credential> {
    const out = {} as Record<Principal, Credential>;
    for (const [p, c] of this.byPrincipal) out[p] = { ...c };
    return out;
  }

  /** The principal these credentials belong to, or null. Constant-time password compare. */
  verify(username: string | undefined, password: Buffer | string | undefined): AnyPrincipal | null {
    if (username === undefined || password === undefined) return null;
    const given = typeof password === 'string' ? Buffer.from(password) : password;
    if (username.startsWith('device:')) {
      const d = isDevicePrincipal(username) ? this.deviceHashes.get(username.slice(7)) : undefined;
      // both sides 32 bytes: constant time whatever the guess's length
      const same = timingSafeEqual(sha256(given), d ? d.sha256 : sha256(this.dummy));
      return d && same ? (username as DevicePrincipal) : null;
    }
    const known = isPrincipal(username) ? this.byPrincipal.get(username) : undefined;
    const expected = known ? Buffer.from(known.password) : this.dummy;
    // timingSafeEqual needs equal lengths; compare against the expected value itself on a length
    // mismatch so the work done does not depend on how long the guess was.
    const same = given.length === expected.length ? timingSafeEqual(given, expected) : (timingSafeEqual(expected, expected), false);
    return known && same ? (username as Principal) : null;
  }

  /** Names of the external devices that have a credential. */
  devices(): string[] {
    return [...this.deviceHashes.keys()].sort();
  }

  /**
   * Create (or re-issue: the old password stops working) the credential of external device
   * `name`. Written before it returns; the plaintext password is returned once and never stored.
   */
  async addDevice(name: string): Promise<{ principal: DevicePrincipal; username: string; password: string; replaced: boolean }> {
    if (!isDeviceName(name)) {
      throw new AliciaError(
        'CONFIG_INVALID',
        `invalid device name ${JSON.stringify(name).slice(0, 60)}: use [a-z0-9_-]{1,40}, not alicia or homeassistant`,
      );
    }
    const password = newPassword();
    const previous = this.deviceHashes.get(name);
    this.deviceHashes.set(name, { sha256: sha256(Buffer.from(password)), created_at: Date.now() });
    try {
      await this.write();
    } catch (e) {
      if (previous) this.deviceHashes.set(name, previous);
      else this.deviceHashes.delete(name);
      throw e;
    }
    const principal: DevicePrincipal = `device:${name}`;
    return { principal, username: principal, password, replaced: previous !== undefined };
  }

  /** Remove a device's credential; false when it had none. */
  async removeDevice(name: string): Promise<boolean> {
    const previous = this.deviceHashes.get(name);
    if (!previous) return false;
    this.deviceHashes.delete(name);
    try {
      await this.write();
    } catch (e) {
      this.deviceHashes.set(name, previous);
      throw e;
    }
    return true;
  }

  /** New passwords for one principal or all; written before they are returned. */
  async rotate(which: Principal | 'all'): Promise<Partial<Record<Principal, Credential>>> {
    const targets = which === 'all' ? ALL_PRINCIPALS : [which];
    const previous = new Map(this.byPrincipal);
    const out: Partial<Record<Principal, Credential>> = {};
    for (const p of targets) {
      if (!isPrincipal(p)) throw new AliciaError('CONFIG_INVALID', `unknown principal ${String(p)}`);
      const c = { username: p, password: newPassword() };
      this.byPrincipal.set(p, c);
      out[p] = { ...c };
    }
    try {
      await this.write();
    } catch (e) {
      // Keep memory and disk in agreement: the old passwords stay valid.
      this.byPrincipal.clear();
      for (const [p, c] of previous) this.byPrincipal.set(p, c);
      throw e;
    }
    return out;
  }
}

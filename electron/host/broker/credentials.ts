import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import {
  HOST_PARTS,
  SERVICE_NAMES,
  SHARED_WINDOW,
  WINDOW_SESSION_ID_RE,
  isDeviceName,
  isDevicePrincipal,
  isWindowPrincipal,
  type AnyPrincipal,
  type DevicePrincipal,
  type StoredPrincipal,
  type WindowPrincipal,
} from '../../../services/lib/protocol/services.js';
import type { Credential } from './types.js';

/**
 * The principals with a password in credentials.json: every service, the operator (people, tools), the bridge, the service nodes' supervisors (`node`),
 * the host's own parts and `window-shared` (the last two connect only on the user's own broker,
 * which needs a credential for each: services/lib/protocol/services.ts). Window sessions have none
 * there: each gets its own, in memory (issueWindow).
 */
export const STORED_PRINCIPALS: readonly StoredPrincipal[] = [...SERVICE_NAMES, 'operator', 'bridge', ...HOST_PARTS, SHARED_WINDOW, 'node'];

export const CREDENTIALS_FILE = 'credentials.json';
const FILE_VERSION = 1;

/** Ended window sessions remembered (ids only), so their credential is refused as "not authorized". */
const REVOKED_WINDOWS_KEPT = 4096;

function isStoredPrincipal(s: string): s is StoredPrincipal {
  return (STORED_PRINCIPALS as readonly string[]).includes(s);
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
 * The broker's credential store: one generated password per service and for the operator, kept in
 * `<dataDir>/credentials.json` with mode 0600 in a 0700 directory, so that no other user of the
 * machine can read them; per-device hashes; per-window-session hashes in memory only. Username =
 * principal name. Passwords never go to logs.
 */
export class Credentials {
  readonly path: string;
  private readonly byPrincipal = new Map<StoredPrincipal, Credential>();
  private readonly deviceHashes = new Map<string, { sha256: Buffer; created_at: number }>();
  /** live window sessions: id -> SHA-256 of the password (memory only: they die with the host) */
  private readonly windowHashes = new Map<string, Buffer>();
  /** ids of ended window sessions, oldest first (bounded) */
  private readonly revokedWindows = new Set<string>();
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
    // a file from an older version may hold a principal that no longer has a stored password (the
    // window's, now one per window session): rewritten without it, so the old password is gone
    if (raw !== null) changed = store.parse(raw) || changed;
    for (const p of STORED_PRINCIPALS) {
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

  /** Reads the file into memory; true when it held principals that are dropped (the file is rewritten). */
  private parse(raw: string): boolean {
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
    let dropped = false;
    for (const [name, c] of Object.entries(obj.credentials)) {
      if (!isStoredPrincipal(name)) {
        // the static `window` password of older versions, or a principal removed since: no access
        dropped = true;
        continue;
      }
      if (!c || typeof c.password !== 'string' || c.password.length < 16) throw bad(`credentials.${name}.password missing or too short`);
      this.byPrincipal.set(name, { username: name, password: c.password });
    }
    return dropped;
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

  get(principal: StoredPrincipal): Credential {
    const c = this.byPrincipal.get(principal);
    if (!c) throw new AliciaError('CONFIG_INVALID', `no credential for ${principal}`);
    return { ...c };
  }

  all(): Record<StoredPrincipal, Credential> {
    const out = {} as Record<StoredPrincipal, Credential>;
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
    if (username.startsWith('window:')) {
      const w = isWindowPrincipal(username) ? this.windowHashes.get(username.slice(7)) : undefined;
      const same = timingSafeEqual(sha256(given), w ?? sha256(this.dummy));
      return w && same ? (username as WindowPrincipal) : null;
    }
    const known = isStoredPrincipal(username) ? this.byPrincipal.get(username) : undefined;
    const expected = known ? Buffer.from(known.password) : this.dummy;
    // timingSafeEqual needs equal lengths; compare against the expected value itself on a length
    // mismatch so the work done does not depend on how long the guess was.
    const same = given.length === expected.length ? timingSafeEqual(given, expected) : (timingSafeEqual(expected, expected), false);
    return known && same ? (username as StoredPrincipal) : null;
  }

  /**
   * A new broker credential for window session `id` (electron/host/windowSessions.ts), kept in
   * memory only: it dies with its session (revokeWindow) or with the host. Only a SHA-256 of the
   * password is kept; the caller holds the plaintext for the session's owner.
   */
  issueWindow(id: string): Credential & { principal: WindowPrincipal } {
    if (!WINDOW_SESSION_ID_RE.test(id))
      throw new AliciaError('CONFIG_INVALID', `invalid window session id ${JSON.stringify(id).slice(0, 40)}`);
    const password = newPassword();
    this.windowHashes.set(id, sha256(Buffer.from(password)));
    this.revokedWindows.delete(id);
    const principal: WindowPrincipal = `window:${id}`;
    return { principal, username: principal, password };
  }

  /** The credential of window session `id` stops working; false when it had none. */
  revokeWindow(id: string): boolean {
    if (!this.windowHashes.delete(id)) return false;
    this.revokedWindows.add(id);
    if (this.revokedWindows.size > REVOKED_WINDOWS_KEPT) {
      const oldest = this.revokedWindows.values().next().value;
      if (oldest !== undefined) this.revokedWindows.delete(oldest);
    }
    return true;
  }

  /** Whether `username` is a window session that ended while this host ran (the broker answers "not authorized"). */
  wasRevoked(username: string | undefined): boolean {
    return username !== undefined && isWindowPrincipal(username) && this.revokedWindows.has(username.slice(7));
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
  async rotate(which: StoredPrincipal | 'all'): Promise<Partial<Record<StoredPrincipal, Credential>>> {
    const targets = which === 'all' ? STORED_PRINCIPALS : [which];
    const previous = new Map(this.byPrincipal);
    const out: Partial<Record<StoredPrincipal, Credential>> = {};
    for (const p of targets) {
      if (!isStoredPrincipal(p)) throw new AliciaError('CONFIG_INVALID', `unknown principal ${String(p)}`);
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

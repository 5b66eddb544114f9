import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { HOST_PARTS, SERVICE_NAMES, SHARED_WINDOW } from '../../../services/lib/protocol/services.js';
import { CREDENTIALS_FILE, Credentials } from './credentials.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-cred-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('Credentials', () => {
  it("creates one random password per service, the operator, the bridge, the host's parts, the shared window credential and the nodes' in a 0600 file (none for window sessions) and reloads the same ones", async () => {
    const a = await Credentials.loadOrCreate(join(dir, 'data'));
    const all = a.all();
    expect(Object.keys(all).sort()).toEqual([...SERVICE_NAMES, 'operator', 'bridge', ...HOST_PARTS, SHARED_WINDOW, 'node'].sort());
    const passwords = Object.values(all).map((c) => c.password);
    expect(new Set(passwords).size).toBe(passwords.length);
    for (const [p, c] of Object.entries(all)) {
      expect(c.username).toBe(p);
      expect(c.password).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 bytes base64url
    }
    expect((await stat(a.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700);
    const b = await Credentials.loadOrCreate(join(dir, 'data'));
    expect(b.all()).toEqual(all);
  });

  it('verifies only the matching username and password', async () => {
    const c = await Credentials.loadOrCreate(dir);
    const op = c.get('operator');
    expect(c.verify('operator', op.password)).toBe('operator');
    expect(c.verify('operator', Buffer.from(op.password))).toBe('operator');
    expect(c.verify('window', op.password)).toBeNull();
    expect(c.verify('operator', op.password + 'x')).toBeNull();
    expect(c.verify('operator', '')).toBeNull();
    expect(c.verify('nobody', op.password)).toBeNull();
    expect(c.verify(undefined, undefined)).toBeNull();
  });

  it('rotates one principal or all, atomically on disk, old passwords stop working', async () => {
    const c = await Credentials.loadOrCreate(dir);
    const before = c.all();
    const r = await c.rotate('stt');
    expect(Object.keys(r)).toEqual(['stt']);
    expect(r.stt?.password).not.toBe(before.stt.password);
    expect(c.verify('stt', before.stt.password)).toBeNull();
    expect(c.verify('stt', r.stt!.password)).toBe('stt');
    expect(c.verify('ai', before.ai.password)).toBe('ai');
    const reloaded = await Credentials.loadOrCreate(dir);
    expect(reloaded.get('stt').password).toBe(r.stt!.password);
    const all = await c.rotate('all');
    expect(Object.keys(all).length).toBe(SERVICE_NAMES.length + 2 + HOST_PARTS.length + 2);
    expect((await stat(c.path)).mode & 0o777).toBe(0o600);
    const names = (await import('node:fs/promises')).readdir(dir);
    expect((await names).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt file is a CONFIG_INVALID error naming the path, and is not overwritten', async () => {
    const file = join(dir, CREDENTIALS_FILE);
    await writeFile(file, '{"version":1,"credentials":', { mode: 0o600 });
    const err = await Credentials.loadOrCreate(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AliciaError);
    expect((err as AliciaError).code).toBe('CONFIG_INVALID');
    expect((err as AliciaError).message).toContain(file);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"credentials":');
  });

  it('an unreadable file is a CONFIG_INVALID error naming the path', async () => {
    const file = join(dir, CREDENTIALS_FILE);
    await writeFile(file, '{}', { mode: 0o600 });
    // root ignores file modes, so make it unreadable by making it a directory instead
    await rm(file);
    await (await import('node:fs/promises')).mkdir(file);
    const err = await Credentials.loadOrCreate(dir).catch((e: unknown) => e);
    expect((err as AliciaError).code).toBe('CONFIG_INVALID');
    expect((err as AliciaError).message).toContain(file);
  });

  it('adds a principal missing from an older file and tightens a loose mode', async () => {
    const c = await Credentials.loadOrCreate(dir);
    const data = JSON.parse(await readFile(c.path, 'utf8')) as { credentials: Record<string, unknown> };
    delete data.credentials.tts;
    await writeFile(c.path, JSON.stringify(data), { mode: 0o644 });
    await chmod(c.path, 0o644);
    const again = await Credentials.loadOrCreate(dir);
    expect(again.get('operator').password).toBe(c.get('operator').password);
    expect(again.get('tts').password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(c.path)).mode & 0o777).toBe(0o600);
  });

  it("drops an older version's static window password from the file: it opens nothing any more", async () => {
    const c = await Credentials.loadOrCreate(dir);
    const data = JSON.parse(await readFile(c.path, 'utf8')) as { credentials: Record<string, { username: string; password: string }> };
    const old = 'static-window-password-of-an-older-version';
    data.credentials.window = { username: 'window', password: old };
    await writeFile(c.path, JSON.stringify(data), { mode: 0o600 });
    const again = await Credentials.loadOrCreate(dir);
    expect(await readFile(c.path, 'utf8')).not.toContain(old);
    expect(Object.keys(JSON.parse(await readFile(c.path, 'utf8')).credentials as object)).not.toContain('window');
    expect(again.verify('window', old)).toBeNull();
    expect(again.get('operator').password).toBe(c.get('operator').password);
  });
});

describe('Credentials: window sessions', () => {
  it('issues a credential per session in memory only; revoked, it is refused and remembered as ended', async () => {
    const c = await Credentials.loadOrCreate(dir);
    const a = c.issueWindow('session-aaaa');
    const b = c.issueWindow('session-bbbb');
    expect(a).toMatchObject({ principal: 'window:session-aaaa', username: 'window:session-aaaa' });
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(c.verify(a.username, a.password)).toBe('window:session-aaaa');
    expect(c.verify(b.username, a.password)).toBeNull();
    expect(c.verify('window', a.password)).toBeNull();
    expect(c.verify('window:session-cccc', a.password)).toBeNull();
    expect(await readFile(c.path, 'utf8')).not.toContain('session-aaaa');
    expect(c.wasRevoked(a.username)).toBe(false);
    expect(c.revokeWindow('session-aaaa')).toBe(true);
    expect(c.revokeWindow('session-aaaa')).toBe(false);
    expect(c.verify(a.username, a.password)).toBeNull();
    expect(c.wasRevoked(a.username)).toBe(true);
    expect(c.wasRevoked('window:session-cccc')).toBe(false);
    expect(c.verify(b.username, b.password)).toBe('window:session-bbbb');
    // a new host (a reload of the store) knows no window session
    expect((await Credentials.loadOrCreate(dir)).verify(b.username, b.password)).toBeNull();
    expect(() => c.issueWindow('bad id/with slash')).toThrow(AliciaError);
  });
});

describe('Credentials: external devices', () => {
  it('issues a device password once, stores only its hash (0600), verifies it, re-issues and removes it', async () => {
    const c = await Credentials.loadOrCreate(dir);
    const a = await c.addDevice('lamp1');
    expect(a).toMatchObject({ principal: 'device:lamp1', username: 'device:lamp1', replaced: false });
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(c.verify('device:lamp1', a.password)).toBe('device:lamp1');
    expect(c.verify('device:lamp1', a.password.slice(1))).toBeNull();
    expect(c.verify('device:lamp2', a.password)).toBeNull();
    expect(c.verify('lamp1', a.password)).toBeNull();
    const file = await readFile(c.path, 'utf8');
    expect(file).not.toContain(a.password); // only the SHA-256
    expect(JSON.parse(file).devices.lamp1.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(c.path)).mode & 0o777).toBe(0o600);

    // survives a reload
    const again = await Credentials.loadOrCreate(dir);
    expect(again.devices()).toEqual(['lamp1']);
    expect(again.verify('device:lamp1', a.password)).toBe('device:lamp1');

    // re-issue: the old password stops working
    const b = await again.addDevice('lamp1');
    expect(b.replaced).toBe(true);
    expect(again.verify('device:lamp1', a.password)).toBeNull();
    expect(again.verify('device:lamp1', b.password)).toBe('device:lamp1');

    expect(await again.removeDevice('lamp1')).toBe(true);
    expect(await again.removeDevice('lamp1')).toBe(false);
    expect(again.verify('device:lamp1', b.password)).toBeNull();
    expect((await Credentials.loadOrCreate(dir)).devices()).toEqual([]);
  });

  it('refuses invalid and reserved device names', async () => {
    const c = await Credentials.loadOrCreate(dir);
    for (const bad of ['', 'A', 'a/b', 'alicia', 'homeassistant', '+', 'x'.repeat(41)]) {
      await expect(c.addDevice(bad), bad).rejects.toBeInstanceOf(AliciaError);
    }
    expect(c.devices()).toEqual([]);
  });
});

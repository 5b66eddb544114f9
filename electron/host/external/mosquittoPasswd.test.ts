import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mosquittoHash, mosquittoPasswdLine, mosquittoUserProblem } from './mosquittoPasswd.js';

const dir = mkdtempSync(join(tmpdir(), 'alicia-passwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Debian's mosquitto_passwd (build/setup.sh APT_PACKAGES: mosquitto) writing one user. */
function mosquittoPasswd(user: string, password: string): string {
  const file = join(dir, `${user}.passwd`);
  execFileSync('mosquitto_passwd', ['-c', '-b', file, user, password]);
  return readFileSync(file, 'utf8').trim();
}

describe('Mosquitto password file lines', () => {
  it('hash exactly as mosquitto_passwd does: its salt and iterations give its hash', () => {
    for (const [user, password] of [
      ['stt', 'Zq3_x-9aPbYcD2eFgH4iJ5kL6mN7oP8q'],
      ['operator', 'a'],
      ['window-shared', 'pässwörd with spaces'],
    ] as const) {
      const line = mosquittoPasswd(user, password);
      const m = /^([^:]+):\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, name, iterations, salt] = m!;
      expect(name).toBe(user);
      expect(mosquittoHash(password, Buffer.from(salt!, 'base64'), Number(iterations))).toBe(line.slice(user.length + 1));
      // and a wrong password does not
      expect(mosquittoHash(`${password}x`, Buffer.from(salt!, 'base64'), Number(iterations))).not.toBe(line.slice(user.length + 1));
    }
  });

  it('writes a fresh salt per line, never the password, and refuses user names Mosquitto would misread', () => {
    const a = mosquittoPasswdLine('ai', 'secret-secret-secret');
    const b = mosquittoPasswdLine('ai', 'secret-secret-secret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(a).toMatch(/^ai:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(mosquittoUserProblem('device:lamp1')).toMatch(/":"/);
    expect(() => mosquittoPasswdLine('device:lamp1', 'x')).toThrow(/contains ":"/);
    expect(() => mosquittoPasswdLine('', 'x')).toThrow(/empty/);
  });
});

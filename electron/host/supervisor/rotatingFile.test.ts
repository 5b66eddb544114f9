import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingFile } from './rotatingFile.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('RotatingFile', () => {
  it('rotates by size, keeping N old files, so a chatty service cannot fill the disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alicia-rot-'));
    dirs.push(dir);
    const path = join(dir, 'logs', 'svc.log');
    const f = new RotatingFile(path, { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 10; i++) f.append(`line ${i} ${'x'.repeat(40)}\n`);
    expect(statSync(path).size).toBeLessThanOrEqual(100);
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(readFileSync(path, 'utf8')).toContain('line 9');
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('line 7');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a write failure is reported once and never thrown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alicia-rot-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'not-a-dir'), '');
    const errors: Error[] = [];
    // its parent is a file: ENOTDIR, like a log dir that became unusable
    const f = new RotatingFile(join(dir, 'not-a-dir', 'x.log'), {}, (e) => errors.push(e));
    expect(() => f.append('a\n')).not.toThrow();
    expect(() => f.append('b\n')).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});

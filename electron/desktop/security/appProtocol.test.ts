import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAppFile } from './appProtocol.js';

const root = path.resolve('/opt/alicia/dist/renderer');

describe('app:// protocol file mapping', () => {
  it('maps app URLs to files under the renderer build', () => {
    expect(resolveAppFile('app://alicia/index.html', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://alicia/assets/index-abc.js?v=1', root)).toBe(path.join(root, 'assets', 'index-abc.js'));
    expect(resolveAppFile('app://alicia/assets/a%20b.css', root)).toBe(path.join(root, 'assets', 'a b.css'));
  });

  it('serves index.html for the root and for client-side routes', () => {
    expect(resolveAppFile('app://alicia/', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://alicia', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://alicia/devices/kitchen_light', root)).toBe(path.join(root, 'index.html'));
  });

  it('never leaves the root, however the path is spelled', () => {
    for (const u of [
      'app://alicia/../../../etc/passwd',
      'app://alicia/%2e%2e/%2e%2e/etc/passwd.txt',
      'app://alicia/assets/%2e%2e%2f%2e%2e%2fsecret.json',
      'app://alicia/..%5c..%5cwindows%5cwin.ini',
      'app://alicia/assets/%00.js',
      'app://alicia/%E0%A4%A.js',
    ]) {
      const f = resolveAppFile(u, root);
      if (f !== null) expect(f.startsWith(root + path.sep), `${u} -> ${f}`).toBe(true);
    }
    expect(resolveAppFile('app://alicia/assets/%2e%2e%2f%2e%2e%2fsecret.json', root)).toBeNull();
    expect(resolveAppFile('app://alicia/assets/%00.js', root)).toBeNull();
  });

  it('refuses other hosts and schemes', () => {
    expect(resolveAppFile('app://other/index.html', root)).toBeNull();
    expect(resolveAppFile('file:///opt/alicia/dist/renderer/index.html', root)).toBeNull();
    expect(resolveAppFile('not a url', root)).toBeNull();
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pocketsphinxBundle } from './pocketsphinxBundle.js';

const tmp = mkdtempSync(join(tmpdir(), 'alicia-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function touch(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
}

describe('finding the speech recogniser that ships with the app', () => {
  it('from the source tree: resources/pocketsphinx with the model the engine reads', () => {
    const b = pocketsphinxBundle();
    expect(b.dir).toMatch(/resources[\\/]pocketsphinx$/);
    expect(b.hmm).toMatch(/model[\\/]en-us[\\/]en-us$/);
    expect(b.dict).toMatch(/cmudict-en-us\.dict$/);
    expect(b.dict).not.toContain('/usr/share');
  });

  it('from the build folder (dist/services/lib/language), three levels deeper than the resources', () => {
    const root = join(tmp, 'dev');
    touch(join(root, 'resources/pocketsphinx/pocketsphinx.wasm'));
    expect(pocketsphinxBundle(join(root, 'dist/services/lib/language')).wasm).toBe(join(root, 'resources/pocketsphinx/pocketsphinx.wasm'));
  });

  it('in a packaged app: the unpacked copy beside app.asar, which the worker and the C library can open', () => {
    const res = join(tmp, 'Alicia.app/Contents/Resources');
    // Electron's fs shows the archive's files at app.asar/...; here a folder stands in for the archive
    touch(join(res, 'app.asar/resources/pocketsphinx/pocketsphinx.wasm'));
    touch(join(res, 'app.asar.unpacked/resources/pocketsphinx/pocketsphinx.wasm'));
    const b = pocketsphinxBundle(join(res, 'app.asar/dist/services/lib/language'));
    expect(b.dir).toBe(join(res, 'app.asar.unpacked/resources/pocketsphinx'));
    expect(b.glue).toBe(join(res, 'app.asar.unpacked/resources/pocketsphinx/pocketsphinx.cjs'));
  });

  it('nowhere to be found: STT_ENGINE_MISSING naming where it looked', () => {
    expect(() => pocketsphinxBundle(join(tmp, 'empty/a/b'))).toThrow(expect.objectContaining({ code: 'STT_ENGINE_MISSING' }));
  });
});

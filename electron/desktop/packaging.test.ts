import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// electron-builder's own configuration loader, schema validator and file matcher (app-builder-lib is
// the package electron-builder 26 delegates to; pinned by it, not a separate dependency of ours).
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { FileMatcher } from 'app-builder-lib/out/fileMatcher.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';
import { beforeAll, describe, expect, it } from 'vitest';
import { pocketsphinxBundle } from '../../services/lib/language/pocketsphinxBundle.js';
import type { TrayLevel } from './tray.js';

/**
 * Building a package needs downloads (the Electron zip from GitHub, native-module headers) that the
 * project's machines cannot make (they reach only the npm registry and Debian's mirror), so this test
 * checks build/electron-builder.yml the way electron-builder reads it: its loader, its JSON-schema
 * validation and its file filter, then the things a broken package would show only on a user's
 * machine (a missing icon, a native addon left inside the asar archive, a package without the
 * speech recogniser or its model).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = 'build/electron-builder.yml';
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & {
  scripts: Record<string, string>;
  main: string;
};

let config: Configuration;

beforeAll(async () => {
  config = await getConfig(ROOT, CONFIG, null);
});

const targetsOf = (t: unknown): string[] =>
  Array.isArray(t) ? t.map((x) => (typeof x === 'string' ? x : (x as { target: string }).target)) : typeof t === 'string' ? [t] : [];

/** Would electron-builder copy this project file into the app? (its FileMatcher over our `files`) */
function packaged(patternsKey: 'files' | 'asarUnpack', relative: string): boolean {
  const raw = config[patternsKey];
  const patterns = patternsKey === 'files' ? ((raw as { filter: string[] }[])[0]?.filter ?? []) : (raw as string[]);
  const filter = new FileMatcher(ROOT, '', (p) => p, patterns).createFilter();
  const stat = { isDirectory: () => false } as unknown as Stats;
  return filter(path.join(ROOT, relative), stat);
}

/** Width and height from a PNG's IHDR chunk (PNG spec 11.2.2). */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1'), `${file} is a PNG`).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder configuration', () => {
  it('loads and passes electron-builder 26 schema validation', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.appId).toBe('org.alicia.controlcenter');
    expect(config.productName).toBe('Alicia Control Center');
  });

  it('`npm run dist` builds everything first, then packages with this config', () => {
    expect(pkg.scripts.dist).toBe(`npm run build && electron-builder --config ${CONFIG}`);
    // no install hook that would download Electron or rebuild natives on `npm ci`
    expect(pkg.scripts.postinstall).toBeUndefined();
  });

  it('targets AppImage + deb on Linux, dmg on macOS, nsis on Windows', () => {
    expect(targetsOf(config.linux?.target).sort()).toEqual(['AppImage', 'deb']);
    expect(targetsOf(config.mac?.target)).toEqual(['dmg']);
    expect(targetsOf(config.win?.target)).toEqual(['nsis']);
  });

  it('packs the compiled app, renderer and resources, and leaves out tests, maps and test helpers', () => {
    for (const f of [
      'package.json',
      pkg.main,
      'dist/electron/desktop/preload.cjs',
      'dist/electron/desktop/utilityLauncher.js',
      'dist/services/stt/main.js',
      'dist/services/stt/wasmDecoder.js',
      'dist/services/lib/language/pocketsphinxBundle.js',
      'dist/renderer/index.html',
      'dist/renderer/assets/index-abc123.js',
      'dist/renderer/tap-worklet.js',
      'resources/config.default.json',
      'resources/home.json',
      'resources/icons/tray/tray-ok.png',
    ]) {
      expect(packaged('files', f), `${f} should be packaged`).toBe(true);
    }
    for (const f of [
      'dist/electron/desktop/main.js.map',
      'dist/electron/desktop/main.d.ts',
      'dist/electron/desktop/preload.d.cts',
      'dist/electron/desktop/tray.test.js',
      'dist/electron/host/supervisor/testing/launcherSuite.js',
      'dist/e2e/browser/services.spec.js',
      'dist/.tsbuild/electron-host.tsbuildinfo',
      'dist/.test/x/y.js',
      'electron/desktop/main.ts',
      'renderer/src/main.tsx',
      'build/electron-builder.yml',
      'e2e/browser/electron.spec.ts',
      'test-results/e2e/x.png',
    ]) {
      expect(packaged('files', f), `${f} should not be packaged`).toBe(false);
    }
  });

  it('the main entry and the preload the window loads are where main.ts and mainWindow.ts expect them', () => {
    expect(pkg.main).toBe('dist/electron/desktop/main.js');
    // mainWindow.ts compiles next to main.js, so its import.meta.dirname is main.js's folder
    const windowSource = readFileSync(path.join(ROOT, 'electron/desktop/mainWindow.ts'), 'utf8');
    expect(windowSource).toContain("path.join(import.meta.dirname, 'preload.cjs')");
    // preload.cts compiles to preload.cjs next to main.js (tsconfig: .cts -> .cjs)
    expect(existsSync(path.join(ROOT, 'electron/desktop/preload.cts'))).toBe(true);
  });

  it('rebuilds native modules for Electron and keeps every native addon and the espeak wasm out of the asar', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.asar).toBe(true);
    for (const f of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node',
      'node_modules/@koromix/koffi-darwin-arm64/darwin_arm64/koffi.node',
      'node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node',
      'node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.js',
      'node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.data',
    ]) {
      expect(packaged('asarUnpack', f), `${f} should be unpacked`).toBe(true);
    }
    expect(packaged('asarUnpack', 'dist/electron/desktop/main.js')).toBe(false);
    // the packages whose files are unpacked are production dependencies (electron-builder only ships those)
    const deps = Object.keys(pkg.dependencies as Record<string, string>);
    expect(deps).toEqual(expect.arrayContaining(['better-sqlite3', 'koffi', '@echogarden/espeak-ng-emscripten']));
  });

  it('ships the speech recogniser and its model in every package, outside the asar (read by path)', () => {
    const dir = path.join(ROOT, 'resources/pocketsphinx');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
    // what the stt engine and the WASM worker open (services/lib/language/pocketsphinxBundle.ts)
    const b = pocketsphinxBundle();
    const read = [
      b.glue,
      b.wasm,
      b.dict,
      b.phoneLm,
      ...['mdef', 'means', 'variances', 'sendump', 'feat.params', 'noisedict', 'transition_matrices'].map((f) => path.join(b.hmm, f)),
    ];
    const wanted = read.map((f) => path.relative(ROOT, f));
    expect(files).toEqual(expect.arrayContaining(wanted));
    // and the licences beside them (BSD: a binary redistribution carries its notice)
    expect(files).toEqual(
      expect.arrayContaining([
        'resources/pocketsphinx/LICENSE.pocketsphinx',
        'resources/pocketsphinx/LICENSE.sphinxbase',
        'resources/pocketsphinx/model/en-us/LICENSE',
      ]),
    );
    for (const f of files) {
      expect(packaged('files', f), `${f} should be packaged`).toBe(true);
      expect(packaged('asarUnpack', f), `${f} should be unpacked`).toBe(true);
    }
    // one set of files for the deb, AppImage, dmg and nsis: no target overrides `files` or `asarUnpack`
    for (const target of [config.linux, config.mac, config.win, config.deb, config.appImage, config.dmg, config.nsis])
      expect(Object.keys(target ?? {}).filter((k) => k === 'files' || k === 'asarUnpack')).toEqual([]);
  });

  it('the deb depends on nothing for speech: electron-builder’s defaults only, no pocketsphinx package', () => {
    // setting `depends` would replace electron-builder's defaults (what Electron itself needs)
    expect(config.deb?.depends).toBeUndefined();
    expect(JSON.stringify(config)).not.toMatch(/pocketsphinx-en-us|libpocketsphinx|libsphinxbase/);
  });

  it('has the metadata the deb target refuses to build without', () => {
    // the deb target refuses to build without a maintainer and a project URL (app-builder-lib FpmTarget)
    expect(config.linux?.maintainer ?? (pkg.author as { email?: string } | undefined)?.email).toBeTruthy();
    expect(
      pkg.homepage ?? pkg.repository,
      'package.json needs "homepage" (or "repository"): the deb target requires a project URL',
    ).toBeTruthy();
  });

  it('has the app icon in every size the platforms use, rendered from the SVG', () => {
    const linuxDir = path.join(ROOT, config.linux?.icon as string);
    const sizes = readdirSync(linuxDir)
      .filter((f) => /^\d+x\d+\.png$/.test(f))
      .map((f) => pngSize(path.join(linuxDir, f)));
    for (const s of [16, 32, 48, 64, 128, 256, 512]) expect(sizes).toContainEqual({ width: s, height: s });
    expect(pngSize(path.join(ROOT, config.mac?.icon as string))).toEqual({ width: 1024, height: 1024 });
    expect(pngSize(path.join(ROOT, config.win?.icon as string))).toEqual({ width: 256, height: 256 });
    expect(existsSync(path.join(ROOT, 'resources/icons/icon.svg'))).toBe(true);
    // the window icon mainWindow.ts sets
    expect(pngSize(path.join(ROOT, 'resources/icons/png/512x512.png'))).toEqual({ width: 512, height: 512 });
  });

  it('has a tray icon (and its @2x) for every health level the tray can show', () => {
    const levels: TrayLevel[] = ['ok', 'degraded', 'down', 'stopped', 'unknown'];
    for (const level of levels) {
      expect(pngSize(path.join(ROOT, `resources/icons/tray/tray-${level}.png`))).toEqual({ width: 16, height: 16 });
      expect(pngSize(path.join(ROOT, `resources/icons/tray/tray-${level}@2x.png`))).toEqual({ width: 32, height: 32 });
    }
  });

  it('asks for the microphone properly on macOS (usage string + hardened-runtime entitlement)', () => {
    expect(String(config.mac?.extendInfo?.NSMicrophoneUsageDescription ?? '')).toMatch(/microphone/);
    const plist = readFileSync(path.join(ROOT, config.mac?.entitlements as string), 'utf8');
    expect(plist).toContain('com.apple.security.device.audio-input');
    expect(config.mac?.entitlementsInherit).toBe(config.mac?.entitlements);
  });

  it('never publishes and keeps user data on uninstall', () => {
    expect(config.publish).toBeNull();
    expect(config.nsis?.deleteAppDataOnUninstall).toBe(false);
  });
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../services/lib/runtime/sqlite.js';
import { buildSqliteBinding, buildSteps, failureReason, findNodeGyp, sqliteBindingPath } from './sqliteBinding.js';
import type { BuildStep } from './sqliteBinding.js';

const target = { electronVersion: '41.7.1', platform: 'linux' as const, arch: 'x64' };
/** The addon npm ci built for this Node: stands in for a built Electron addon (Electron cannot run here). */
const NODE_ADDON = join(
  dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
  'build',
  'Release',
  'better_sqlite3.node',
);

// Output captured on this machine (no access to github.com or electronjs.org), trimmed of stack frames.
const PREBUILD_OFFLINE = 'prebuild-install warn install getaddrinfo ENOTFOUND github.com\n';
const GYP_OFFLINE = `gyp info it worked if it ends with ok
gyp info using node-gyp@12.4.0
gyp http GET https://electronjs.org/headers/v41.7.1/node-v41.7.1-headers.tar.gz
gyp WARN install got an error, rolling back install
gyp ERR! configure error
gyp ERR! stack Error: This is most likely not a problem with node-gyp or the package itself and
gyp ERR! stack is related to network connectivity. In most cases you are behind a proxy or have bad
gyp ERR! stack network settings.
gyp ERR! System Linux 6.18.44-fc-v782
gyp ERR! cwd /tmp/x
gyp ERR! not ok
`;
const GYP_NO_MAKE = `gyp info spawn make
gyp ERR! build error
gyp ERR! stack Error: not found: make
gyp ERR! stack     at getNotFoundError (/usr/lib/node_modules/npm/node_modules/which/lib/index.js:16:17)
gyp ERR! not ok
`;

describe('where and how', () => {
  it('one cache folder per Electron version, platform/arch and better-sqlite3 version', () => {
    const a = sqliteBindingPath('/c', '12.11.1', target);
    expect(a).toBe('/c/electron-41.7.1-linux-x64/better-sqlite3-12.11.1/better_sqlite3.node');
    expect(sqliteBindingPath('/c', '12.11.1', { ...target, electronVersion: '41.8.0' })).not.toBe(a);
    expect(sqliteBindingPath('/c', '12.12.0', target)).not.toBe(a);
    expect(sqliteBindingPath('/c', '12.11.1', { ...target, arch: 'arm64' })).not.toBe(a);
  });

  it('finds node-gyp: npm’s variable first, then the project’s copy, then npm’s own folder', () => {
    const all = (f: string) => f.endsWith('.js');
    const npmGyp = '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js';
    expect(findNodeGyp({ npm_config_node_gyp: '/npm/gyp.js' }, { project: '/p/gyp.js', execPath: '/usr/bin/node' }, all)).toBe(
      '/npm/gyp.js',
    );
    expect(findNodeGyp({}, { project: '/p/gyp.js', execPath: '/usr/bin/node' }, all)).toBe('/p/gyp.js');
    expect(
      findNodeGyp(
        { npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' },
        { project: null, execPath: '/x/node' },
        (f) => f === npmGyp,
      ),
    ).toBe(npmGyp);
    expect(findNodeGyp({}, { project: null, execPath: '/usr/bin/node' }, (f) => f === npmGyp)).toBe(npmGyp);
    expect(findNodeGyp({}, { project: null, execPath: '/usr/bin/node' }, () => false)).toBeNull();
  });

  it('downloads the prebuilt addon first, then compiles against Electron’s headers', () => {
    const steps = buildSteps(target, { prebuildInstall: '/pb/bin.js', nodeGyp: '/gyp.js', headersDir: '/c/node-gyp' });
    expect(steps.map((s) => s.name)).toEqual(['download', 'compile']);
    expect(steps[0]!.args).toEqual(['--runtime=electron', '--target=41.7.1', '--arch=x64', '--platform=linux']);
    expect(steps[1]!.args).toEqual(
      expect.arrayContaining([
        'rebuild',
        '--release',
        '--target=41.7.1',
        '--arch=x64',
        '--dist-url=https://electronjs.org/headers',
        '--devdir=/c/node-gyp',
      ]),
    );
    expect(buildSteps(target, { prebuildInstall: null, nodeGyp: '/gyp.js', headersDir: '/h' }).map((s) => s.name)).toEqual(['compile']);
  });

  it('turns tool output into one short reason', () => {
    expect(failureReason(PREBUILD_OFFLINE, 'x')).toBe('getaddrinfo ENOTFOUND github.com');
    expect(failureReason(GYP_OFFLINE, 'x')).toBe('cannot download https://electronjs.org/headers/v41.7.1/node-v41.7.1-headers.tar.gz');
    expect(failureReason(GYP_NO_MAKE, 'x')).toBe('not found: make');
    expect(failureReason('', 'exit code 1')).toBe('exit code 1');
    expect(failureReason(`${'e'.repeat(400)}\n`, 'x').length).toBeLessThanOrEqual(160);
  });
});

describe('buildSqliteBinding (real processes and files; the steps stand in for prebuild-install and node-gyp)', { timeout: 30_000 }, () => {
  let dir: string;
  let pkg: string;
  let dest: string;
  let scripts: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'alicia-binding-test-'));
    // A package folder shaped like better-sqlite3's, with the Node build in build/ that must not be copied.
    pkg = join(dir, 'better-sqlite3');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"name":"better-sqlite3","version":"12.11.1"}');
    writeFileSync(join(pkg, 'binding.gyp'), '{}');
    writeFileSync(join(pkg, 'src', 'better_sqlite3.cpp'), '// source');
    writeFileSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'), 'the Node build');
    dest = join(dir, 'cache', 'electron-41.7.1-linux-x64', 'better-sqlite3-12.11.1', 'better_sqlite3.node');
    scripts = join(dir, 'scripts');
    mkdirSync(scripts);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function script(name: string, body: string): string {
    const file = join(scripts, `${name}.mjs`);
    writeFileSync(file, `import fs from 'node:fs';\n${body}\n`);
    return file;
  }
  const step = (name: string, file: string, args: string[] = []): BuildStep => ({ name, script: file, args, timeoutMs: 20_000 });

  it('builds in a copy without the Node build, installs the addon in the cache, removes the copy', async () => {
    const seen = join(dir, 'seen.json');
    const compile = script(
      'compile',
      `const [addon, seen] = process.argv.slice(2);
       fs.writeFileSync(seen, JSON.stringify({ cwd: process.cwd(), build: fs.existsSync('build'), gyp: fs.existsSync('binding.gyp'), src: fs.existsSync('src/better_sqlite3.cpp') }));
       fs.mkdirSync('build/Release', { recursive: true });
       fs.copyFileSync(addon, 'build/Release/better_sqlite3.node');`,
    );
    const offline = script('download', `console.error(${JSON.stringify(PREBUILD_OFFLINE)}); process.exit(1);`);
    const r = await buildSqliteBinding({
      packageDir: pkg,
      dest,
      steps: [step('download', offline), step('compile', compile, [NODE_ADDON, seen])],
    });
    expect(r).toEqual({ ok: true, path: dest, via: 'compile' });

    const s = JSON.parse(readFileSync(seen, 'utf8')) as { cwd: string; build: boolean; gyp: boolean; src: boolean };
    expect(s).toMatchObject({ build: false, gyp: true, src: true });
    expect(s.cwd.startsWith(pkg)).toBe(false);
    expect(existsSync(s.cwd)).toBe(false);
    // The package itself is untouched: its Node build is still there.
    expect(readFileSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'), 'utf8')).toBe('the Node build');
    // The installed file is a working addon, loaded the way the app loads it.
    const db = openDatabase(':memory:', { nativeBinding: r.ok ? r.path : '' });
    expect(db.prepare('SELECT sqlite_version() AS v').get()).toMatchObject({ v: expect.any(String) });
    db.close();
  });

  it('reports every step’s reason when all fail, and leaves no file in the cache', async () => {
    const download = script('download', `console.error(${JSON.stringify(PREBUILD_OFFLINE)}); process.exit(1);`);
    const compile = script('compile', `process.stderr.write(${JSON.stringify(GYP_OFFLINE)}); process.exit(1);`);
    const r = await buildSqliteBinding({ packageDir: pkg, dest, steps: [step('download', download), step('compile', compile)] });
    expect(r).toEqual({
      ok: false,
      reason:
        'download: getaddrinfo ENOTFOUND github.com; compile: cannot download https://electronjs.org/headers/v41.7.1/node-v41.7.1-headers.tar.gz',
    });
    expect(existsSync(dirname(dest))).toBe(false);
  });

  it('a step that exits 0 without producing the addon is a failure, and no tools at all is one too', async () => {
    const noop = script('noop', 'process.exit(0);');
    const r = await buildSqliteBinding({ packageDir: pkg, dest, steps: [step('download', noop)] });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain('download: no build');
    expect(await buildSqliteBinding({ packageDir: pkg, dest, steps: [] })).toEqual({
      ok: false,
      reason: 'neither prebuild-install nor node-gyp was found',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { SQLITE_BINDING_ENV } from '../../services/lib/runtime/sqlite.js';
import { buildNotice, electronEnv, planAfterBuild, planStart, startLine } from './startPlan.js';
import type { StartFacts } from './startPlan.js';

const BIN = '/app/node_modules/electron/dist/electron';
const CACHED = '/app/node_modules/.cache/alicia-electron/electron-41.7.1-linux-x64/better-sqlite3-12.11.1/better_sqlite3.node';

function facts(over: Partial<StartFacts> = {}): StartFacts {
  return {
    platform: 'linux',
    env: { DISPLAY: ':0' },
    electron: { bin: BIN, version: '41.7.1' },
    binding: { path: CACHED, cached: true },
    ...over,
  };
}

describe('planStart', () => {
  it('runs Electron with the cached addon when binary, display and addon are there', () => {
    expect(planStart(facts())).toEqual({
      host: 'electron',
      electron: BIN,
      electronVersion: '41.7.1',
      binding: CACHED,
      build: false,
      reason: 'Electron 41.7.1 and a display (X :0)',
    });
  });

  it('builds the addon first when it is not cached yet', () => {
    const plan = planStart(facts({ binding: { path: CACHED, cached: false } }));
    expect(plan).toMatchObject({ host: 'electron', build: true, binding: CACHED });
  });

  it('falls back to the headless host without an Electron binary, saying why (this machine)', () => {
    const plan = planStart(facts({ electron: { missing: 'Electron failed to install correctly' }, binding: null }));
    expect(plan).toEqual({ host: 'headless', reason: 'no Electron binary (Electron failed to install correctly)' });
    expect(startLine(plan)).toBe(
      'alicia: starting the headless host (open the URL below in a browser): no Electron binary (Electron failed to install correctly)',
    );
  });

  it('falls back on Linux without a display, and never builds for nothing', () => {
    const plan = planStart(facts({ env: {}, binding: { path: CACHED, cached: false } }));
    expect(plan).toEqual({ host: 'headless', reason: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' });
  });

  it('accepts Wayland on Linux and needs no display variable on macOS or Windows', () => {
    expect(planStart(facts({ env: { WAYLAND_DISPLAY: 'wayland-0' } }))).toMatchObject({
      host: 'electron',
      reason: 'Electron 41.7.1 and a display (Wayland)',
    });
    expect(planStart(facts({ platform: 'darwin', env: {} }))).toMatchObject({ host: 'electron', reason: 'Electron 41.7.1' });
    expect(planStart(facts({ platform: 'win32', env: {} }))).toMatchObject({ host: 'electron' });
  });

  it('falls back when better-sqlite3 itself is missing', () => {
    expect(planStart(facts({ binding: null }))).toMatchObject({ host: 'headless', reason: expect.stringContaining('better-sqlite3') });
  });
});

describe('after the build', () => {
  const needsBuild = planStart(facts({ binding: { path: CACHED, cached: false } }));

  it('a built addon starts Electron with it', () => {
    const plan = planAfterBuild(needsBuild, { ok: true, path: CACHED, via: 'compile' });
    expect(plan).toMatchObject({ host: 'electron', build: false, binding: CACHED });
    if (plan.host !== 'electron') throw new Error('unreachable');
    const env = electronEnv({ PATH: '/usr/bin', DISPLAY: ':0' }, plan);
    expect(env).toEqual({ PATH: '/usr/bin', DISPLAY: ':0', [SQLITE_BINDING_ENV]: CACHED });
  });

  it('a failed build falls back to the headless host with the reason in one line', () => {
    const plan = planAfterBuild(needsBuild, {
      ok: false,
      reason:
        'download: getaddrinfo ENOTFOUND github.com; compile: cannot download https://electronjs.org/headers/v41.7.1/node-v41.7.1-headers.tar.gz',
    });
    expect(plan).toEqual({
      host: 'headless',
      reason:
        'cannot build better-sqlite3 for Electron 41.7.1 (download: getaddrinfo ENOTFOUND github.com; compile: cannot download https://electronjs.org/headers/v41.7.1/node-v41.7.1-headers.tar.gz)',
    });
    expect(startLine(plan)).not.toContain('\n');
  });

  it('says what it builds and where before it starts', () => {
    if (needsBuild.host !== 'electron') throw new Error('unreachable');
    expect(buildNotice(needsBuild, 'node_modules/.cache/alicia-electron/x')).toBe(
      'alicia: building better-sqlite3 for Electron 41.7.1 once, into node_modules/.cache/alicia-electron/x (download, else compile: up to a few minutes)',
    );
  });
});

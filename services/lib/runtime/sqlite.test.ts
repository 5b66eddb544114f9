import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SQLITE_BINDING_ENV, sqliteOptions } from './sqlite.js';

/** The addon npm ci built for this Node: a real binding to point the variable at. */
const NODE_ADDON = join(
  dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
  'build',
  'Release',
  'better_sqlite3.node',
);
const saved = process.env[SQLITE_BINDING_ENV];
let dir: string | undefined;

afterEach(() => {
  if (saved === undefined) delete process.env[SQLITE_BINDING_ENV];
  else process.env[SQLITE_BINDING_ENV] = saved;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('sqliteOptions', () => {
  it('leaves the options alone when no binding is named', () => {
    expect(sqliteOptions({ readonly: true }, {})).toEqual({ readonly: true });
    expect(sqliteOptions({}, { [SQLITE_BINDING_ENV]: '' })).toEqual({});
  });

  it('adds nativeBinding from the environment, keeping the other options', () => {
    expect(sqliteOptions({ readonly: true, fileMustExist: true }, { [SQLITE_BINDING_ENV]: '/cache/better_sqlite3.node' })).toEqual({
      readonly: true,
      fileMustExist: true,
      nativeBinding: '/cache/better_sqlite3.node',
    });
  });

  it('lets an explicit nativeBinding win and never mutates the caller’s object', () => {
    const opts = { nativeBinding: '/mine.node' };
    expect(sqliteOptions(opts, { [SQLITE_BINDING_ENV]: '/cache.node' })).toEqual({ nativeBinding: '/mine.node' });
    const plain = { timeout: 10 };
    sqliteOptions(plain, { [SQLITE_BINDING_ENV]: '/cache.node' });
    expect(plain).toEqual({ timeout: 10 });
  });
});

describe('openDatabase', () => {
  it('opens with the package’s own addon when the variable is unset', () => {
    delete process.env[SQLITE_BINDING_ENV];
    const db = openDatabase(':memory:');
    expect(db.prepare('SELECT 1 + 1 AS n').get()).toEqual({ n: 2 });
    db.close();
  });

  it('loads the addon the variable names (a real file works, a missing one fails naming it)', () => {
    const d = mkdtempSync(join(tmpdir(), 'alicia-sqlite-'));
    dir = d;
    process.env[SQLITE_BINDING_ENV] = NODE_ADDON;
    const db = openDatabase(join(d, 'a.db'));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
    expect(db.prepare('SELECT x FROM t').get()).toEqual({ x: 42 });
    db.close();

    const missing = join(d, 'nowhere', 'better_sqlite3.node');
    process.env[SQLITE_BINDING_ENV] = missing;
    expect(() => openDatabase(join(d, 'b.db'))).toThrow(missing);
  });
});

describe('the call sites', () => {
  it('the recorder database and the device registry both open through the variable', async () => {
    const { openRecorderDb } = await import('../../../electron/host/recorder/db.js');
    const { RegistryStore } = await import('../../device-manager/registryStore.js');
    const d = mkdtempSync(join(tmpdir(), 'alicia-sqlite-'));
    dir = d;
    const missing = join(d, 'electron-build', 'better_sqlite3.node');
    process.env[SQLITE_BINDING_ENV] = missing;
    expect(() => openRecorderDb(join(d, 'recorder.db'))).toThrow(missing);
    expect(() => RegistryStore.open(join(d, 'devices.db'))).toThrow(missing);
    process.env[SQLITE_BINDING_ENV] = NODE_ADDON;
    openRecorderDb(join(d, 'recorder.db')).close();
    RegistryStore.open(join(d, 'devices.db')).close();
  });
});

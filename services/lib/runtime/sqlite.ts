import Database from 'better-sqlite3';
import type { Database as Db, Options } from 'better-sqlite3';

/**
 * The environment variable naming a better-sqlite3 addon (`better_sqlite3.node`) built for the
 * runtime this process runs on. `npm start` sets it when it launches Electron from a source
 * checkout: node_modules/better-sqlite3 is compiled for Node (npm ci; tests and the headless host
 * use it), and Electron's main process and utility processes need one built against Electron's ABI
 * (a native addon loads only into the runtime ABI it was compiled for). electron/desktop/start.ts builds that one into a cache
 * folder instead of rebuilding node_modules in place, so `npm test` keeps working under Node.
 * Unset (tests, headless host, packaged app whose node_modules electron-builder rebuilt): the
 * package's own addon.
 */
export const SQLITE_BINDING_ENV = 'ALICIA_SQLITE_BINDING';

/**
 * `options` plus better-sqlite3's documented `nativeBinding` option (its docs/api.md, "new Database()":
 * "provide the file path of better_sqlite3.node") when SQLITE_BINDING_ENV is set and non-empty.
 * An explicit `options.nativeBinding` wins.
 */
export function sqliteOptions(options: Options = {}, env: NodeJS.ProcessEnv = process.env): Options {
  const binding = env[SQLITE_BINDING_ENV];
  if (!binding || options.nativeBinding !== undefined) return { ...options };
  return { ...options, nativeBinding: binding };
}

/** `new Database(file, options)` with the addon for this runtime (see SQLITE_BINDING_ENV). */
export function openDatabase(file: string, options: Options = {}): Db {
  return new Database(file, sqliteOptions(options));
}

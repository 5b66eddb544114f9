import { SQLITE_BINDING_ENV } from '../../../services/lib/runtime/sqlite.js';

/**
 * The host's ALICIA_* variables a service inherits. Every other ALICIA_* variable is withheld: the
 * host may hold the operator's credential there, and the supervisor sets each service's own
 * connection, data dir and config. The log level applies to everyone; the SQLite addon path is
 * set by `npm start` for Electron (services/lib/runtime/sqlite.ts) and must reach the utility processes
 * too, or the device manager cannot open its registry under Electron.
 */
export const INHERITED_ALICIA_ENV: readonly string[] = ['ALICIA_LOG_LEVEL', SQLITE_BINDING_ENV];

/** The environment a service starts from: the host's, minus ALICIA_* except INHERITED_ALICIA_ENV. */
export function inheritedEnv(hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(hostEnv)) {
    if (v !== undefined && (!k.startsWith('ALICIA_') || INHERITED_ALICIA_ENV.includes(k))) env[k] = v;
  }
  return env;
}

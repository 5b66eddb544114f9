import { isAliciaError } from '../../services/lib/protocol/errors.js';

/**
 * What the desktop app tells a person when it cannot start, in words they can act on (a packaged
 * app has no terminal: this text is the whole error report, shown in a dialog and logged).
 */
export interface StartupProblem {
  title: string;
  detail: string;
}

export interface StartupContext {
  dataDir: string;
  configFile: string;
  logFile: string;
}

export function describeStartupError(e: unknown, ctx: StartupContext): StartupProblem {
  const message = e instanceof Error ? e.message : String(e);
  const tail = `\n\nDetails are in ${ctx.logFile}.`;
  if (isAliciaError(e) && e.code === 'CONFIG_INVALID') {
    return {
      title: 'The configuration file has an error',
      detail: `${message}\n\nFix or delete ${ctx.configFile} (it is recreated with the defaults) and start again.${tail}`,
    };
  }
  if (isAliciaError(e) && e.code === 'BROKER_LISTEN_FAILED') {
    const inUse = /EADDRINUSE/.test(message);
    return {
      title: inUse ? 'A port Alicia needs is already in use' : 'Alicia cannot open its message broker port',
      detail:
        `${message}\n\n` +
        (inUse
          ? 'Another program (often a Mosquitto broker, or a second Alicia started with `alicia serve`) is using it. Stop that program, or choose other ports under "ports" in '
          : 'Choose other ports under "ports" in ') +
        `${ctx.configFile} (0 picks a free port).${tail}`,
    };
  }
  // better-sqlite3 is compiled against one Node ABI; from a source checkout it is built for Node,
  // and Electron, whose Node has another ABI version, needs it rebuilt for that ABI.
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return {
      title: 'A native module was built for another runtime',
      detail: `${message.split('\n')[0] ?? message}\n\nStart the app with \`npm start\`: it builds better-sqlite3 for Electron into node_modules/.cache/alicia-electron and passes it to the app (plain \`npx electron .\` does not).${tail}`,
    };
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') {
    return {
      title: 'Alicia cannot write its data folder',
      detail: `${message}\n\nAlicia keeps its configuration, credentials, history and logs in ${ctx.dataDir}. Make sure that folder is writable and the disk is not full.${tail}`,
    };
  }
  return { title: 'Alicia Control Center could not start', detail: `${message}${tail}` };
}

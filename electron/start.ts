import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { serve } from './headless.js';
import { appRoot } from './paths.js';

/**
 * `npm start`: the desktop window where Electron can run, the headless host otherwise, and one
 * line saying which and why. The electron npm package's main export is the path of its binary, and
 * it throws when the binary was never downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD, offline installs).
 */
export interface ElectronChoice {
  electron: string | null;
  reason: string;
}

export function chooseElectron(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ElectronChoice {
  let bin: unknown;
  try {
    bin = createRequire(import.meta.url)('electron');
  } catch (e) {
    return { electron: null, reason: `no Electron binary (${(e as Error).message.split('\n')[0]})` };
  }
  if (typeof bin !== 'string' || !existsSync(bin))
    return { electron: null, reason: 'no Electron binary (the electron package has none for this machine)' };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return { electron: null, reason: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return {
    electron: bin,
    reason:
      platform === 'linux'
        ? `Electron binary and a display (${env.WAYLAND_DISPLAY ? 'Wayland' : `X ${env.DISPLAY}`})`
        : 'Electron binary present',
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const choice = chooseElectron();
  if (!choice.electron) {
    process.stdout.write(`alicia: starting the headless host (open the URL below in a browser): ${choice.reason}\n`);
    return serve(args);
  }
  process.stdout.write(`alicia: starting the desktop app: ${choice.reason}\n`);
  const child = spawn(choice.electron, [join(appRoot(), 'dist', 'electron', 'main.js'), ...args], { stdio: 'inherit' });
  // Electron quits cleanly on SIGINT/SIGTERM; pass ours on so Ctrl+C in the terminal stops the app.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`alicia: cannot run Electron: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`alicia: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { serve } from '../host/headless.js';
import { appRoot } from '../host/paths.js';
import { buildSqliteBinding, buildSteps, findNodeGyp, sqliteBindingPath } from './sqliteBinding.js';
import { buildNotice, electronEnv, planAfterBuild, planStart, startLine } from './startPlan.js';
import type { StartFacts } from './startPlan.js';

/**
 * `npm start`: the desktop window where Electron can run, the headless host otherwise, and one
 * line saying which and why (the decision: startPlan.ts). Before the first Electron start it builds
 * better-sqlite3 for Electron into node_modules/.cache (sqliteBinding.ts), leaving the Node build
 * in node_modules/better-sqlite3 to the tests and the headless host.
 */
const root = appRoot();
const fromRoot = createRequire(join(root, 'package.json'));
const cacheRoot = join(root, 'node_modules', '.cache', 'alicia-electron');

function resolveOrNull(from: NodeJS.Require, id: string): string | null {
  try {
    return from.resolve(id);
  } catch {
    return null;
  }
}

function gatherFacts(): StartFacts {
  let electron: StartFacts['electron'];
  try {
    // The electron package's main export is its binary's path; it throws when the binary was never
    // downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD, offline installs).
    const bin: unknown = fromRoot('electron');
    const version = (fromRoot('electron/package.json') as { version: string }).version;
    electron =
      typeof bin === 'string' && existsSync(bin) ? { bin, version } : { missing: 'the electron package has none for this machine' };
  } catch (e) {
    electron = { missing: (e as Error).message.split('\n')[0] ?? String(e) };
  }
  const sqlitePkg = resolveOrNull(fromRoot, 'better-sqlite3/package.json');
  let binding: StartFacts['binding'] = null;
  if (sqlitePkg && 'version' in electron) {
    const sqliteVersion = (fromRoot(sqlitePkg) as { version: string }).version;
    const path = sqliteBindingPath(cacheRoot, sqliteVersion, {
      electronVersion: electron.version,
      platform: process.platform,
      arch: process.arch,
    });
    binding = { path, cached: existsSync(path) };
  }
  return { platform: process.platform, env: process.env, electron, binding };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let plan = planStart(gatherFacts());
  if (plan.host === 'electron' && plan.build) {
    process.stdout.write(`${buildNotice(plan, relative(process.cwd(), dirname(plan.binding)) || '.')}\n`);
    const packageDir = dirname(fromRoot.resolve('better-sqlite3/package.json'));
    const steps = buildSteps(
      { electronVersion: plan.electronVersion, platform: process.platform, arch: process.arch },
      {
        // better-sqlite3's own dependency, so resolved from its folder.
        prebuildInstall: resolveOrNull(createRequire(join(packageDir, 'package.json')), 'prebuild-install/bin.js'),
        nodeGyp: findNodeGyp(process.env, {
          project: resolveOrNull(fromRoot, 'node-gyp/bin/node-gyp.js'),
          execPath: process.execPath,
        }),
        headersDir: join(cacheRoot, 'node-gyp'),
      },
    );
    plan = planAfterBuild(plan, await buildSqliteBinding({ packageDir, dest: plan.binding, steps }));
  }
  process.stdout.write(`${startLine(plan)}\n`);
  if (plan.host === 'headless') return serve(args);

  const child = spawn(plan.electron, [join(root, 'dist', 'electron', 'desktop', 'main.js'), ...args], {
    stdio: 'inherit',
    env: electronEnv(process.env, plan),
  });
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

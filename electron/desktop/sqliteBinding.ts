import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';

/**
 * better-sqlite3 for Electron, from a source checkout, without touching node_modules/better-sqlite3.
 *
 * npm ci builds better-sqlite3 for Node's ABI, which the tests and the headless host need. Electron's
 * main process and utility processes need an addon built against Electron's headers (Electron docs,
 * "Using Native Node Modules"). `electron-builder install-app-deps` would rebuild the package in
 * place and break `npm test` until `npm rebuild`; instead `npm start` builds a second copy of the
 * addon once per Electron version into node_modules/.cache and hands its path to the processes
 * (ALICIA_SQLITE_BINDING, services/lib/runtime/sqlite.ts). Packaged apps do not need this:
 * electron-builder rebuilds node_modules for Electron when it packages (npmRebuild).
 *
 * Two ways, in order, the same two better-sqlite3's own install script tries
 * ("install": "prebuild-install || node-gyp rebuild --release"): download the prebuilt addon the
 * project publishes for each Electron ABI (seconds, no compiler), else compile against Electron's
 * headers from https://electronjs.org/headers (the dist-url the Electron docs give for node-gyp).
 */
export interface BindingTarget {
  electronVersion: string;
  platform: NodeJS.Platform;
  arch: string;
}

/** The addon's file name; better-sqlite3's loader requires it by path (`nativeBinding`). */
const ADDON = 'better_sqlite3.node';

/**
 * Where the Electron build lives: one folder per Electron version, platform/arch and better-sqlite3
 * version, so upgrading either one builds a new addon instead of loading a stale one.
 */
export function sqliteBindingPath(cacheRoot: string, sqliteVersion: string, t: BindingTarget): string {
  return join(cacheRoot, `electron-${t.electronVersion}-${t.platform}-${t.arch}`, `better-sqlite3-${sqliteVersion}`, ADDON);
}

/**
 * node-gyp's CLI script. npm ships one and names it in `npm_config_node_gyp` for the scripts it runs
 * (@npmcli/run-script); outside npm, the project's own copy (a dependency of electron-builder's
 * @electron/rebuild), else the one inside npm's folder next to npm-cli.js or next to node.
 */
export function findNodeGyp(
  env: NodeJS.ProcessEnv,
  candidates: { project: string | null; execPath: string },
  exists: (file: string) => boolean = existsSync,
): string | null {
  const list = [
    env.npm_config_node_gyp,
    candidates.project ?? undefined,
    env.npm_execpath ? join(dirname(dirname(env.npm_execpath)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : undefined,
    join(dirname(dirname(candidates.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(candidates.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return list.find((f): f is string => !!f && f.endsWith('.js') && exists(f)) ?? null;
}

export interface BuildStep {
  /** what the step is, for the failure reason */
  name: string;
  /** run with the current Node: `node <script> ...args` in the copied package folder */
  script: string;
  args: string[];
  timeoutMs: number;
}

export function buildSteps(
  t: BindingTarget,
  tools: { prebuildInstall: string | null; nodeGyp: string | null; headersDir: string },
): BuildStep[] {
  const steps: BuildStep[] = [];
  if (tools.prebuildInstall)
    steps.push({
      name: 'download',
      script: tools.prebuildInstall,
      args: [`--runtime=electron`, `--target=${t.electronVersion}`, `--arch=${t.arch}`, `--platform=${t.platform}`],
      timeoutMs: 120_000,
    });
  if (tools.nodeGyp)
    steps.push({
      name: 'compile',
      script: tools.nodeGyp,
      args: [
        'rebuild',
        '--release',
        `--target=${t.electronVersion}`,
        `--arch=${t.arch}`,
        '--dist-url=https://electronjs.org/headers',
        // Electron's headers in our cache, not ~/.cache/node-gyp next to Node's.
        `--devdir=${tools.headersDir}`,
        '--jobs=max',
      ],
      // Compiling SQLite took about 1.5 min on the project's 2-core machines; slow laptops get ample room.
      timeoutMs: 15 * 60_000,
    });
  return steps;
}

/** One short line saying why a step failed, from its output (node-gyp and prebuild-install log formats). */
export function failureReason(output: string, fallback: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  const clip = (s: string) => (s.length > 160 ? `${s.slice(0, 157)}...` : s);
  const download = lines.filter((l) => l.startsWith('gyp http GET ')).at(-1);
  const gypError = lines.find((l) => /^gyp ERR! stack Error: /.test(l));
  // A failed headers download explains itself by its URL; node-gyp's own message is a paragraph about proxies.
  if (download && gypError && /network connectivity|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|status code/i.test(output))
    return clip(`cannot download ${download.slice('gyp http GET '.length)}`);
  if (gypError) return clip(gypError.replace(/^gyp ERR! stack Error: /, ''));
  const prebuild = lines.filter((l) => l.startsWith('prebuild-install warn install ')).at(-1);
  if (prebuild) return clip(prebuild.replace('prebuild-install warn install ', ''));
  const last = lines.filter((l) => l && !/^gyp (info|ERR! (System|command|cwd|node -v|node-gyp -v|not ok))/.test(l)).at(-1);
  return clip(last ?? fallback);
}

export type BuildResult = { ok: true; path: string; via: string } | { ok: false; reason: string };

/**
 * Build the addon into `dest`: copy the better-sqlite3 package (without its Node build/) to a
 * temporary folder, try each step there until one leaves build/Release/better_sqlite3.node, then
 * move that into place (rename within one folder, so a concurrent start never loads half a file).
 * The temporary folder is removed whatever happens.
 */
export async function buildSqliteBinding(opts: { packageDir: string; dest: string; steps: BuildStep[] }): Promise<BuildResult> {
  if (opts.steps.length === 0) return { ok: false, reason: 'neither prebuild-install nor node-gyp was found' };
  const work = mkdtempSync(join(tmpdir(), 'alicia-better-sqlite3-'));
  const reasons: string[] = [];
  try {
    // The package's own build/ is the Node addon and node-gyp's Node configuration: leave it behind.
    const source = realpathSync(opts.packageDir);
    const ownBuild = join(source, 'build');
    cpSync(source, work, { recursive: true, filter: (src) => src !== ownBuild && !src.startsWith(ownBuild + sep) });
    const built = join(work, 'build', 'Release', ADDON);
    for (const step of opts.steps) {
      const r = await run(step, work);
      if (r.ok && existsSync(built)) {
        mkdirSync(dirname(opts.dest), { recursive: true });
        const partial = `${opts.dest}.${process.pid}.partial`;
        cpSync(built, partial);
        renameSync(partial, opts.dest);
        return { ok: true, path: opts.dest, via: step.name };
      }
      reasons.push(`${step.name}: ${r.ok ? `no build${sep}Release${sep}${ADDON} produced` : r.reason}`);
    }
    return { ok: false, reason: reasons.join('; ') };
  } catch (e) {
    return { ok: false, reason: [...reasons, (e as Error).message].join('; ') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(step: BuildStep, cwd: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [step.script, ...step.args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // Keep the tail only: a compile prints thousands of lines and the reason is at the end.
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), step.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true });
      else if (signal === 'SIGKILL') resolve({ ok: false, reason: `gave up after ${Math.round(step.timeoutMs / 1000)} s` });
      else resolve({ ok: false, reason: failureReason(output, `exit code ${code ?? signal}`) });
    });
  });
}

import { afterEach, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import type { LaunchedProcess, LaunchSpec } from './launcher.js';
import { pidAlive } from './launcher.js';
import { NodeLauncher } from './nodeLauncher.js';
import { heapLimitsFromFlags, PoolLauncher } from './poolLauncher.js';
import { collect, exitOf, FIXTURE, launcherSuite } from './testing/launcherSuite.js';

// The pool process runs from dist/ when the launcher runs from source: build first
// (`npx tsc -b tsconfig.build.json`), see poolProcessModule() in poolLauncher.ts.

const poolLauncher = () =>
  new PoolLauncher(new NodeLauncher(), { name: 'service pool', env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir() });

launcherSuite('shared service process (worker threads)', poolLauncher, { sharedProcess: true });

describe('PoolLauncher: services sharing one process', () => {
  const started: LaunchedProcess[] = [];
  const spec = (args: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec => ({
    name: 'fixture',
    modulePath: FIXTURE,
    env: { PATH: process.env.PATH ?? '' },
    cwd: tmpdir(),
    args,
    ...extra,
  });
  afterEach(() => {
    for (const p of started.splice(0)) p.kill('SIGKILL');
  });
  const launchOne = (launcher: PoolLauncher, s: LaunchSpec): LaunchedProcess => {
    const p = launcher.launch(s);
    started.push(p);
    return p;
  };
  const launchTwo = (launcher: PoolLauncher, x: LaunchSpec, y: LaunchSpec): [LaunchedProcess, LaunchedProcess] => [
    launchOne(launcher, x),
    launchOne(launcher, y),
  ];
  const ready = (p: LaunchedProcess) => new Promise<unknown>((resolve) => p.onMessage(resolve));
  const echo = (p: LaunchedProcess, message: unknown) =>
    new Promise<unknown>((resolve) => {
      p.onMessage((m) => typeof m === 'object' && m !== null && 'echo' in m && resolve(m.echo));
      p.postMessage(message);
    });

  it('runs every service of one launcher in the same process', async () => {
    const [a, b] = launchTwo(poolLauncher(), spec(['wait']), spec(['wait']));
    await Promise.all([ready(a), ready(b)]);
    expect(a.pid).toBeTypeOf('number');
    expect(b.pid).toBe(a.pid);
    expect(await echo(a, 'to a')).toBe('to a');
    expect(await echo(b, 'to b')).toBe('to b');
  });

  it("a service's uncaught exception ends only its own thread", async () => {
    const [calm, thrower] = launchTwo(poolLauncher(), spec(['wait']), spec(['throw']));
    await Promise.all([ready(calm), ready(thrower)]);
    const pid = calm.pid;
    const err = collect(thrower.stderr);
    expect((await exitOf(thrower)).code).toBe(1);
    await err.ended;
    expect(err.text()).toContain('fixture threw on purpose');
    expect(await echo(calm, 'still here')).toBe('still here');
    expect(calm.pid).toBe(pid);
  });

  it("a service's heap running out ends only its own thread", async () => {
    const [calm, hog] = launchTwo(poolLauncher(), spec(['wait']), spec(['oom'], { execArgv: ['--max-old-space-size=32'] }));
    await ready(calm);
    const pid = calm.pid;
    const err = collect(hog.stderr);
    expect((await exitOf(hog)).code).not.toBe(0);
    await err.ended;
    expect(err.text()).toContain('ERR_WORKER_OUT_OF_MEMORY');
    expect(await echo(calm, 'still here')).toBe('still here');
    expect(calm.pid).toBe(pid);
  });

  it('when the pool process dies every service in it exits, and the next launch starts a new one', async () => {
    const launcher = poolLauncher();
    const [a, b] = launchTwo(launcher, spec(['wait']), spec(['wait']));
    await Promise.all([ready(a), ready(b)]);
    const pid = a.pid!;
    const exits = Promise.all([exitOf(a), exitOf(b)]);
    process.kill(pid, 'SIGKILL');
    expect(await exits).toEqual([
      { code: null, signal: 'SIGKILL' },
      { code: null, signal: 'SIGKILL' },
    ]);
    const c = launchOne(launcher, spec(['wait']));
    await ready(c);
    expect(c.pid).toBeTypeOf('number');
    expect(c.pid).not.toBe(pid);
  });

  it('the pool process exits after its last service has', async () => {
    const a = launchOne(poolLauncher(), spec(['wait']));
    await ready(a);
    const pid = a.pid!;
    a.postMessage({ type: 'stop' });
    expect((await exitOf(a)).code).toBe(0);
    while (pidAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pidAlive(pid)).toBe(false);
  });
});

describe('heapLimitsFromFlags', () => {
  it('takes the old space as given and the young generation as two semi-spaces, nothing else', () => {
    expect(heapLimitsFromFlags(['--max-semi-space-size=1', '--optimize-for-size', '--max-old-space-size=256', '--lite-mode'])).toEqual({
      maxOldGenerationSizeMb: 256,
      maxYoungGenerationSizeMb: 2,
    });
    expect(heapLimitsFromFlags([])).toEqual({});
  });
});

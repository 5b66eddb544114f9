import { describe, expect, it, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { LaunchedProcess, Launcher, LaunchSpec } from '../launcher.js';

/**
 * One test suite for every Launcher implementation (MQTT.js runs one suite against every transport).
 * `make` returns a fresh launcher. The children are fixtures/child.mjs, not services: this suite
 * proves exit codes, signals, stdio capture, env isolation and the message channel.
 */
export const FIXTURE = fileURLToPath(new URL('./fixtures/child.mjs', import.meta.url));

/**
 * Everything a child writes on one stream. `ended` resolves once the stream has ended (the child's
 * end of the pipe closed: all it wrote is in `text()`), `includes(s)` once `s` has arrived.
 */
export function collect(stream: Readable | null): { text: () => string; ended: Promise<void>; includes: (s: string) => Promise<void> } {
  let buf = '';
  const waiters: (() => void)[] = [];
  stream?.setEncoding('utf8');
  stream?.on('data', (d: string) => {
    buf += d;
    for (const w of waiters.splice(0)) w();
  });
  const ended = stream ? new Promise<void>((resolve) => stream.once('end', resolve).once('close', resolve)) : Promise.resolve();
  const includes = async (s: string) => {
    while (!buf.includes(s)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { text: () => buf, ended, includes };
}

export function exitOf(p: LaunchedProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => p.onExit((code, signal) => resolve({ code, signal })));
}

function nextMessage(p: LaunchedProcess, pred: (m: unknown) => boolean = () => true): Promise<unknown> {
  return new Promise((resolve) => p.onMessage((m) => pred(m) && resolve(m)));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface SuiteOptions {
  /**
   * The launcher runs services inside one shared process (PoolLauncher): the pid outlives a
   * service, and V8 flags are the process's, so a service's heap flags become its thread's limits.
   */
  sharedProcess?: boolean;
}

export function launcherSuite(label: string, make: () => Launcher, options: SuiteOptions = {}): void {
  describe(`Launcher contract: ${label}`, () => {
    const started: LaunchedProcess[] = [];
    const spec = (args: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec => ({
      name: 'fixture',
      modulePath: FIXTURE,
      env: { PATH: process.env.PATH ?? '', FIXTURE_VAR: 'given' },
      cwd: tmpdir(),
      args,
      ...extra,
    });
    const launch = (s: LaunchSpec) => {
      const p = make().launch(s);
      started.push(p);
      return p;
    };
    afterEach(() => {
      for (const p of started.splice(0)) p.kill('SIGKILL');
    });

    it('reports the exit code and captures stdout and stderr', async () => {
      const p = launch(spec(['exit', '3']));
      const out = collect(p.stdout);
      const err = collect(p.stderr);
      // (no pid check here: utilityProcess only knows its pid after 'spawn')
      const exit = await exitOf(p);
      expect(exit.code).toBe(3);
      // stdio may flush just after 'exit': read to the end of both pipes
      await Promise.all([out.ended, err.ended]);
      expect(out.text()).toContain('hello stdout');
      expect(err.text()).toContain('hello stderr');
      expect(err.text()).not.toContain('hello stdout');
    });

    it('passes exactly the given environment, not the host environment', async () => {
      process.env.ALICIA_LAUNCHER_LEAK_CHECK = 'secret';
      try {
        const p = launch(spec(['env']));
        const out = collect(p.stdout);
        expect((await exitOf(p)).code).toBe(0);
        await out.ended;
        const env = JSON.parse(out.text().trim().split('\n').pop() ?? '{}') as Record<string, string>;
        expect(env.FIXTURE_VAR).toBe('given');
        expect(env.ALICIA_LAUNCHER_LEAK_CHECK).toBeUndefined();
      } finally {
        delete process.env.ALICIA_LAUNCHER_LEAK_CHECK;
      }
    });

    it(
      options.sharedProcess
        ? 'gives the thread the heap limits of the given V8 flags'
        : 'starts the child with the given V8 flags and no others',
      async () => {
        const execArgv = ['--max-semi-space-size=1', '--max-old-space-size=96'];
        const p = launch(spec([options.sharedProcess ? 'limits' : 'flags'], { execArgv }));
        const out = collect(p.stdout);
        expect((await exitOf(p)).code).toBe(0);
        await out.ended;
        const printed: unknown = JSON.parse(out.text().trim().split('\n').pop() ?? 'null');
        if (options.sharedProcess) expect(printed).toMatchObject({ maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 2 });
        else expect(printed).toEqual(execArgv);
      },
    );

    it('runs in the given working directory', async () => {
      const p = launch(spec(['cwd']));
      const out = collect(p.stdout);
      await exitOf(p);
      await out.ended;
      expect(out.text().trim()).toBe(realpathSync(tmpdir()));
    });

    it('exchanges messages and stops gracefully on the stop message', async () => {
      const p = launch(spec(['wait']));
      const out = collect(p.stdout);
      const ready = (await nextMessage(p)) as { ready: boolean; pid: number };
      expect(ready).toEqual({ ready: true, pid: p.pid });
      const echoed = nextMessage(p, (m) => typeof m === 'object' && m !== null && 'echo' in m);
      expect(p.postMessage({ hello: 'child' })).toBe(true);
      expect(await echoed).toEqual({ echo: { hello: 'child' } });
      const exited = exitOf(p);
      expect(p.postMessage({ type: 'stop' })).toBe(true);
      expect(await exited).toEqual({ code: 0, signal: null });
      await out.ended;
      expect(out.text()).toContain('stopping');
    });

    it('kill() terminates with SIGTERM by default; the pid is gone afterwards (a shared one stays)', async () => {
      const p = launch(spec(['wait']));
      await nextMessage(p);
      const pid = p.pid!;
      expect(isAlive(pid)).toBe(true);
      const exited = exitOf(p);
      expect(p.kill()).toBe(true);
      const exit = await exited;
      expect(exit.code === 0).toBe(false);
      if (exit.signal !== null) expect(exit.signal).toBe('SIGTERM');
      if (!options.sharedProcess) expect(isAlive(pid)).toBe(false);
      expect(p.pid).toBeUndefined();
      // after exit: no throw, just false
      expect(p.kill()).toBe(false);
      expect(p.postMessage({ type: 'stop' })).toBe(false);
    });

    it('kill("SIGKILL") ends a process that ignores SIGTERM', async () => {
      const p = launch(spec(['stubborn']));
      const out = collect(p.stdout);
      await nextMessage(p);
      p.kill('SIGTERM');
      await out.includes('ignoring SIGTERM');
      expect(out.text()).toContain('ignoring SIGTERM');
      // Sentinel: the child answers a message sent after it handled SIGTERM, so it outlived the signal.
      const echoed = nextMessage(p, (m) => typeof m === 'object' && m !== null && 'echo' in m);
      expect(p.postMessage({ still: 'there' })).toBe(true);
      expect(await echoed).toEqual({ echo: { still: 'there' } });
      expect(p.pid).toBeTypeOf('number');
      const exited = exitOf(p);
      p.kill('SIGKILL');
      const exit = await exited;
      if (exit.signal !== null) expect(exit.signal).toBe('SIGKILL');
      else expect(exit.code).not.toBe(0);
    });

    it('a process killed from outside (kill -9) is reported as exited by SIGKILL', async () => {
      const p = launch(spec(['wait']));
      await nextMessage(p);
      const exited = exitOf(p);
      process.kill(p.pid!, 'SIGKILL');
      const exit = await exited;
      if (exit.signal !== null) expect(exit.signal).toBe('SIGKILL');
      else expect(exit.code).not.toBe(0);
    });

    it('a missing module is an exit with a non-zero code, not a throw', async () => {
      const p = launch(spec([], { modulePath: '/nonexistent/alicia/service/main.js' }));
      const exit = await exitOf(p);
      expect(exit.code).not.toBe(0);
    });

    it('an onExit listener added after the exit still fires', async () => {
      const p = launch(spec(['exit', '0']));
      await exitOf(p);
      const late = await exitOf(p);
      expect(late.code).toBe(0);
    });
  });
}

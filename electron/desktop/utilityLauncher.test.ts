import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { ForkOptions, UtilityProcess } from 'electron';
import { describe, expect, it } from 'vitest';
import { launcherSuite, exitOf } from '../host/supervisor/testing/launcherSuite.js';
import { UtilityLauncher } from './utilityLauncher.js';

/**
 * The Electron binary cannot run on the project's machines (its download needs GitHub, which they
 * cannot reach), so the UtilityLauncher adapter is exercised against a stand-in with UtilityProcess's
 * documented surface and quirks, backed by a real Node child process: pid undefined until 'spawn' and after 'exit', 'exit' with a code only (a signal
 * death becomes its number, as Chromium's termination status reports it), kill() without a signal
 * (SIGTERM), postMessage throwing once the channel is gone, stdout/stderr null after exit.
 * What this proves: the adapter's mapping onto the Launcher contract. What it cannot prove: Electron
 * itself; e2e/browser/electron.spec.ts covers that wherever a binary exists.
 */
class NodeBackedUtilityProcess extends EventEmitter {
  pid: number | undefined;
  stdout: Readable | null;
  stderr: Readable | null;
  private readonly child;

  constructor(modulePath: string, args: string[], options: ForkOptions) {
    super();
    this.child = fork(modulePath, args, {
      cwd: options.cwd,
      // electron.d.ts types env as its own Env (string values); Node's fork takes ProcessEnv.
      env: options.env as NodeJS.ProcessEnv | undefined,
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', options.stdio === 'pipe' ? 'pipe' : 'inherit', options.stdio === 'pipe' ? 'pipe' : 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.stdout = this.child.stdout;
    this.stderr = this.child.stderr;
    this.child.on('spawn', () => {
      this.pid = this.child.pid;
      this.emit('spawn');
    });
    this.child.on('message', (m) => this.emit('message', m));
    this.child.on('error', () => {
      if (this.child.pid === undefined) this.emit('exit', 1);
    });
    this.child.on('exit', (code, signal) => {
      this.pid = undefined;
      this.stdout = null;
      this.stderr = null;
      this.emit('exit', code ?? (signal ? constants.signals[signal] : 1));
    });
  }

  kill(): boolean {
    return this.child.kill('SIGTERM');
  }

  postMessage(message: unknown): void {
    if (!this.child.connected) throw new Error('Cannot post message: the process is not running');
    this.child.send(message as object);
  }
}

const standIn = (modulePath: string, args: string[], options: ForkOptions) =>
  new NodeBackedUtilityProcess(modulePath, args, options) as unknown as UtilityProcess;

launcherSuite('Electron utilityProcess adapter (Node-backed stand-in)', () => new UtilityLauncher(standIn));

describe('UtilityLauncher specifics', () => {
  it('passes the spec to utilityProcess.fork with piped stdio, its V8 flags and a service name', () => {
    const calls: { modulePath: string; args: string[]; options: ForkOptions }[] = [];
    const recorder = new UtilityLauncher((modulePath, args, options) => {
      calls.push({ modulePath, args, options });
      return standIn(modulePath, args, options);
    });
    const p = recorder.launch({
      name: 'stt',
      modulePath: '/nonexistent/stt/main.js',
      env: { A: '1' },
      cwd: '/',
      args: ['x'],
      execArgv: ['--max-semi-space-size=1'],
    });
    p.kill('SIGKILL');
    expect(calls).toEqual([
      {
        modulePath: '/nonexistent/stt/main.js',
        args: ['x'],
        options: { env: { A: '1' }, cwd: '/', stdio: 'pipe', execArgv: ['--max-semi-space-size=1'], serviceName: 'Alicia stt' },
      },
    ]);
  });

  it('a fork that throws (e.g. called before app ready) becomes an exit, never a throw', async () => {
    const launcher = new UtilityLauncher(() => {
      throw new Error('utilityProcess cannot be forked before the app is ready');
    });
    const p = launcher.launch({ name: 'ai', modulePath: '/x.js', env: {}, cwd: '/' });
    expect(p.pid).toBeUndefined();
    expect(p.postMessage({ type: 'stop' })).toBe(false);
    expect(p.kill()).toBe(false);
    expect(await exitOf(p)).toEqual({ code: null, signal: null });
  });
});

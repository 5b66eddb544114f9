import type { ForkOptions, UtilityProcess } from 'electron';
import type { Readable } from 'node:stream';
import { ProcessExit } from '../host/supervisor/launcher.js';
import type { ExitListener, LaunchedProcess, LaunchSpec, Launcher } from '../host/supervisor/launcher.js';

/**
 * The Launcher inside Electron: each service is an Electron utility process
 * (utilityProcess.fork, https://www.electronjs.org/docs/latest/api/utility-process), a Node.js
 * child of the main process that needs no separate Node installation on the user's machine and
 * uses Electron's own Node (so native modules built for Electron load in it).
 *
 * `fork` is injected (main.ts passes utilityProcess.fork) so this adapter carries no run-time
 * import of 'electron' and the shared launcher suite can run against it under plain Node with a
 * utilityProcess stand-in (utilityLauncher.test.ts). The mapping, API difference by difference:
 *  - pid is undefined until 'spawn' and again after 'exit' (UtilityProcess.pid docs): same contract.
 *  - 'exit' gives only a code, never a signal: we report the signal we sent ourselves for SIGKILL,
 *    null otherwise.
 *  - kill() takes no signal and sends SIGTERM on POSIX: for SIGKILL (the supervisor's last resort
 *    after the grace period) we signal the pid directly with process.kill, which Electron's main
 *    process can do like any Node process.
 *  - postMessage throws once the process is gone; the contract says "false, never throws".
 *  - messages from the child arrive as plain values ('message' listener), and the child reads ours on
 *    process.parentPort (services/lib/runtime handles both).
 */
export type UtilityFork = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcess;

export class UtilityLauncher implements Launcher {
  constructor(private readonly fork: UtilityFork) {}

  launch(spec: LaunchSpec): LaunchedProcess {
    let child: UtilityProcess;
    try {
      child = this.fork(spec.modulePath, spec.args ?? [], {
        env: spec.env,
        cwd: spec.cwd,
        stdio: 'pipe',
        execArgv: spec.execArgv ?? [],
        // Names the process in app.getAppMetrics() and 'child-process-gone', and in OS task managers.
        serviceName: `Alicia ${spec.name}`,
      });
    } catch (e) {
      // fork throws synchronously for bad arguments or before app 'ready'; the contract wants an exit.
      return new FailedProcess(e);
    }
    return new UtilityChild(child);
  }
}

class UtilityChild implements LaunchedProcess {
  private readonly exit = new ProcessExit();
  private killedWith: NodeJS.Signals | undefined;
  private spawned = false;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;

  constructor(private readonly child: UtilityProcess) {
    // Taken now: UtilityProcess.stdout/stderr become null after 'exit' (its docs), while the supervisor
    // may still be draining them. electron.d.ts types them as NodeJS.ReadableStream; Electron creates
    // them as stream.Readable (lib/browser/api/utility-process.ts), which is what the contract names.
    this.stdout = child.stdout as Readable | null;
    this.stderr = child.stderr as Readable | null;
    child.once('spawn', () => {
      this.spawned = true;
    });
    child.once('exit', (code) => this.finish(code, this.killedWith === 'SIGKILL' ? 'SIGKILL' : null));
    // A V8 fatal error: 'exit' follows anyway (UtilityProcess 'error' docs); listening keeps it from being unhandled.
    child.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.exit.exited ? undefined : this.child.pid;
  }
  onExit(listener: ExitListener): void {
    this.exit.onExit(listener);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', (m: unknown) => listener(m));
  }

  postMessage(message: unknown): boolean {
    if (this.exit.exited) return false;
    try {
      this.child.postMessage(message);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exit.exited) return false;
    const pid = this.child.pid;
    if (signal === 'SIGKILL' && this.spawned && pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
        this.killedWith = 'SIGKILL';
        return true;
      } catch {
        // already gone (ESRCH): fall through to the API kill, which reports false in that case
      }
    }
    const ok = this.child.kill();
    if (ok) this.killedWith ??= 'SIGTERM';
    return ok;
  }

  private finish(code: number | null, signal: string | null): void {
    this.exit.finish(code, signal);
  }
}

/** fork() threw: a process that never ran and has already exited. */
class FailedProcess implements LaunchedProcess {
  readonly pid = undefined;
  readonly stdout = null;
  readonly stderr = null;
  constructor(readonly error: unknown) {}
  onExit(listener: ExitListener): void {
    queueMicrotask(() => listener(null, null));
  }
  onMessage(): void {}
  postMessage(): boolean {
    return false;
  }
  kill(): boolean {
    return false;
  }
}

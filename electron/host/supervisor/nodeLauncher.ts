import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { ProcessExit } from './launcher.js';
import type { ExitListener, LaunchedProcess, LaunchSpec, Launcher } from './launcher.js';

/**
 * The Launcher on plain Node: child_process.fork with piped stdout/stderr and an IPC channel.
 * execArgv is the spec's alone so a host started with --inspect or a loader does not pass it to every
 * service (Node docs, child_process.fork: execArgv defaults to process.execArgv); JSON
 * serialisation matches what Electron's utilityProcess accepts, so services see the same messages.
 */
export class NodeLauncher implements Launcher {
  launch(spec: LaunchSpec): LaunchedProcess {
    const child = fork(spec.modulePath, spec.args ?? [], {
      cwd: spec.cwd,
      env: spec.env,
      execArgv: spec.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    return new NodeProcess(child);
  }
}

class NodeProcess implements LaunchedProcess {
  private readonly exit = new ProcessExit();

  constructor(private readonly child: ChildProcess) {
    // Without an 'error' listener a failed spawn or a failed kill would be an uncaught exception in the host.
    child.on('error', () => {
      // A spawn failure (ENOENT cwd, EAGAIN) emits 'error' and no 'exit' (Node docs, 'error' event).
      if (child.pid === undefined) this.finish(null, null);
    });
    child.on('exit', (code, signal) => this.finish(code, signal));
  }

  get pid(): number | undefined {
    return this.exit.exited ? undefined : this.child.pid;
  }
  get stdout() {
    return this.child.stdout;
  }
  get stderr() {
    return this.child.stderr;
  }

  onExit(listener: ExitListener): void {
    this.exit.onExit(listener);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', (m) => listener(m));
  }

  postMessage(message: unknown): boolean {
    if (this.exit.exited || !this.child.connected) return false;
    // The callback form reports send failures (channel closing) there instead of as an 'error' event.
    return this.child.send(message as object, () => undefined);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exit.exited) return false;
    try {
      return this.child.kill(signal);
    } catch {
      return false;
    }
  }

  private finish(code: number | null, signal: string | null): void {
    this.exit.finish(code, signal);
  }
}

import { MessageChannel, Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { STOP_MESSAGE } from '../launcher.js';
import { isPoolMessage } from './poolMessages.js';
import type { FromPool, ToPool } from './poolMessages.js';

/**
 * A shared service process: each service the host starts here (poolLauncher.ts) runs unchanged as
 * a worker thread of this one process, so the services share one Node runtime (its ~30 MiB of
 * mapped binary, its heap reservations) instead of each holding their own. What stays each
 * service's own: its heap (with the limits the host gives), its environment, its event loop, and
 * its end: an uncaught exception or a heap out of memory ends that thread only ('error' and
 * 'exit' below), and this process carries on for the others.
 *
 * Started as `child_process.fork` (headless host) or Electron's utilityProcess (desktop): the
 * message channel is process.send/'message' in the first, process.parentPort in the second.
 */

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromPool): void {
  if (parentPort) parentPort.postMessage(message);
  // the callback form: a channel closing under us is no exception (the host is going, and so are we)
  else process.send?.(message, undefined, undefined, () => undefined);
}

interface Thread {
  worker: Worker;
  signals: MessageChannel['port1'];
}
const threads = new Map<number, Thread>();
const BOOTSTRAP = new URL('./poolWorker.js', import.meta.url);

function start(m: Extract<ToPool, { pool: 'start' }>): void {
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, {
      name: m.name,
      argv: m.args,
      env: m.env,
      // the pool's V8 flags are the process's; a thread takes no per-thread Node options
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: m.resourceLimits,
      workerData: { modulePath: m.modulePath, signals: port2 },
      transferList: [port2],
    });
  } catch (e) {
    send({ pool: 'output', id: m.id, stream: 'stderr', data: `cannot start a thread: ${String(e)}\n` });
    send({ pool: 'exit', id: m.id, code: 1 });
    return;
  }
  threads.set(m.id, { worker, signals: port1 });
  send({ pool: 'started', id: m.id, thread: worker.threadId });
  const ended = [forward(m.id, worker.stdout, 'stdout'), forward(m.id, worker.stderr, 'stderr')];
  worker.on('message', (message: unknown) => send({ pool: 'message', id: m.id, message }));
  // An uncaught exception or ERR_WORKER_OUT_OF_MEMORY: the thread's own end, told in its own log.
  worker.on('error', (e: Error) => {
    const code = (e as NodeJS.ErrnoException).code;
    send({ pool: 'output', id: m.id, stream: 'stderr', data: `thread ended: ${code ? `${code} ` : ''}${e.stack ?? e.message}\n` });
  });
  worker.on('exit', (code) => {
    threads.delete(m.id);
    port1.close();
    // The thread's last output arrives after 'exit' (its streams end then): send it all first.
    void Promise.all(ended).then(() => send({ pool: 'exit', id: m.id, code }));
  });
}

function forward(id: number, stream: Readable, name: 'stdout' | 'stderr'): Promise<void> {
  stream.setEncoding('utf8');
  stream.on('data', (data: string) => send({ pool: 'output', id, stream: name, data }));
  return new Promise((resolve) => stream.once('end', resolve).once('close', resolve));
}

function receive(m: unknown): void {
  if (!isPoolMessage<ToPool>(m)) return;
  if (m.pool === 'start') return start(m);
  if (m.pool === 'close') return stopAll('closed');
  const thread = threads.get(m.id);
  if (!thread) return;
  if (m.pool === 'post') thread.worker.postMessage(m.message);
  else if (m.pool === 'signal') thread.signals.postMessage(m.signal);
  else void thread.worker.terminate();
}

/** How long the services get to stop by themselves when the pool is told to go (theirs is 4 s). */
const STOP_ALL_DEADLINE_MS = 5_000;
let stopping = false;

/** Ask every service to stop as the supervisor would, and exit when they have (or at the deadline). */
function stopAll(why: string): void {
  if (stopping) return;
  stopping = true;
  if (threads.size === 0) process.exit(0);
  for (const { worker } of threads.values()) {
    worker.postMessage(STOP_MESSAGE);
    worker.once('exit', () => threads.size === 0 && process.exit(0));
  }
  setTimeout(() => {
    process.stderr.write(`service pool: threads still running ${STOP_ALL_DEADLINE_MS} ms after '${why}': exiting\n`);
    process.exit(1);
  }, STOP_ALL_DEADLINE_MS).unref();
}

if (parentPort) parentPort.on('message', (e) => receive(e.data));
else process.on('message', receive);
// child_process IPC closed = the host died: stop the services as each would on its own
process.on('disconnect', () => stopAll('parent disconnected'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

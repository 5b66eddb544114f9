import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { SIGNAL_EXIT_CODE } from './poolMessages.js';

/**
 * The first module of every worker thread in a shared service process (poolProcess.ts): it loads
 * the service's own entry module unchanged. Signals are not delivered to worker threads (Node docs,
 * worker_threads "Notable differences"), so the pool sends them here on a port of their own and they
 * reach the service as the 'SIGTERM' / 'SIGINT' events it listens for; a thread without a listener
 * ends as a process without a handler would.
 */
const { modulePath, signals } = workerData as { modulePath: string; signals: MessagePort };

signals.on('message', (signal: keyof typeof SIGNAL_EXIT_CODE) => {
  if (process.listenerCount(signal) > 0) process.emit(signal, signal);
  else process.exit(SIGNAL_EXIT_CODE[signal]);
});
// the port alone must not keep a finished service's thread alive
signals.unref();

await import(pathToFileURL(modulePath).href);

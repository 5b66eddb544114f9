import { AliciaError } from '../lib/protocol/errors.js';
import type { ErrorCode } from '../lib/protocol/errors.js';

interface Job {
  run: (remainingMs: number) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  deadline: number;
  timeoutMs: number;
  timer: NodeJS.Timeout;
}

/**
 * One job at a time, at most `maxPending` waiting (one engine instance, so requests take turns).
 * Each job has a deadline counted from when it was queued: a job still waiting at its deadline is
 * dropped with `timeoutCode`; a running job receives the time it has left and must honour it itself
 * (only the engine knows how to abort its work). A full queue answers `busyCode` at once instead of
 * building an ever-growing backlog of replies nobody waits for any more.
 */
export class SerialQueue {
  private readonly waiting: Job[] = [];
  private running = false;
  private closed = false;

  constructor(
    private readonly maxPending: number,
    private readonly timeoutCode: ErrorCode,
    private readonly busyCode: ErrorCode,
  ) {}

  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  run<T>(task: (remainingMs: number) => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new AliciaError(this.busyCode, 'the queue is closed'));
    if (this.waiting.length >= this.maxPending) {
      return Promise.reject(new AliciaError(this.busyCode, `too many requests waiting (${this.waiting.length}); try again shortly`));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        run: task,
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline: Date.now() + timeoutMs,
        timeoutMs,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(job);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(new AliciaError(this.timeoutCode, `waited ${timeoutMs} ms in the queue without being served`));
          }
        }, timeoutMs),
      };
      this.waiting.push(job);
      this.pump();
    });
  }

  /** Refuse new jobs and fail the waiting ones (the running one finishes on its own). */
  close(): void {
    this.closed = true;
    for (const j of this.waiting.splice(0)) {
      clearTimeout(j.timer);
      j.reject(new AliciaError(this.busyCode, 'the service is stopping'));
    }
  }

  private pump(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    clearTimeout(job.timer);
    this.running = true;
    const left = job.deadline - Date.now();
    const p = left > 0 ? job.run(left) : Promise.reject(new AliciaError(this.timeoutCode, `waited ${job.timeoutMs} ms in the queue`));
    p.then(job.resolve, job.reject).finally(() => {
      this.running = false;
      this.pump();
    });
  }
}

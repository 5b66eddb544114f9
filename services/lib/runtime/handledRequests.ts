import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Ids of the requests a service has answered, kept in a small append-only file in its data dir so
 * they survive a crash (docs/reliability.md, the kill -9 test). QoS 1 is at-least-once: a request answered just before a kill -9,
 * whose PUBACK never left, is redelivered to the restarted process; without this list it would act
 * and answer a second time (the kill -9 test saw 1 duplicate in 1,000).
 *
 * One id per line, appended synchronously right after the reply is written (the OS keeps the write
 * when the process is killed; a power cut is out of scope). Compacted to the newest `keep` ids.
 */
export class HandledRequests {
  private readonly ids = new Set<string>();
  private lines = 0;

  constructor(
    private readonly path: string | null,
    private readonly keep = 10_000,
  ) {
    if (!path) return;
    try {
      const text = readFileSync(path, 'utf8');
      const all = text.split('\n').filter((l) => l.length > 0 && l.length <= 128);
      for (const id of all.slice(-keep)) this.ids.add(id);
      this.lines = all.length;
    } catch {
      /* first start (or unreadable): nothing handled yet */
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remember an answered request id, in memory and in the file (when the service has a data dir). */
  add(id: string): void {
    if (this.ids.has(id)) return;
    this.remember(id);
    this.persist(id);
  }

  /** In memory only: this process answers the id once. */
  remember(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.keep) {
      const first = this.ids.values().next().value;
      if (first !== undefined) this.ids.delete(first);
    }
  }

  /**
   * In the file: a restarted process will not answer it again. Call it once the answer has left the
   * process (is in the kernel's socket buffer): an id on file whose answer died in the process's own
   * write buffer would turn the redelivered request into a lost one.
   */
  persist(id: string): void {
    if (!this.path || id.includes('\n')) return;
    try {
      if (this.lines === 0) mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, id + '\n');
      if (++this.lines > this.keep * 2) this.compact();
    } catch {
      // a full or read-only disk must not stop the service answering: the in-memory set still dedupes
      this.lines = Number.NaN;
    }
  }

  private compact(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, [...this.ids].join('\n') + '\n');
    renameSync(tmp, this.path!);
    this.lines = this.ids.size;
  }
}

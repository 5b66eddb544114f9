import { appendFileSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';

export interface RotatingFileOptions {
  /** rotate when the file would grow past this many bytes (default 5 MiB) */
  maxBytes?: number;
  /** how many old files to keep: name.log.1 ... name.log.N (default 3) */
  keep?: number;
}

/**
 * An append-only log file that rotates by size (name.log -> name.log.1 -> ... -> name.log.N),
 * like logrotate's `size` + `rotate N`. Writes are synchronous but batched by the caller
 * (ServiceLog flushes every 250 ms), so the host never queues unbounded log text in memory.
 * A write failure (disk full, read-only dir) is reported once through `onError` and the file is
 * then skipped: logging must never take the host down.
 */
export class RotatingFile {
  private size = -1;
  private failed = false;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(
    readonly path: string,
    opts: RotatingFileOptions = {},
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, opts.keep ?? 3);
  }

  append(text: string): void {
    if (this.failed || text.length === 0) return;
    try {
      if (this.size < 0) this.size = this.currentSize();
      const bytes = Buffer.byteLength(text);
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.path, text, { mode: 0o600 });
      this.size += bytes;
    } catch (e) {
      this.failed = true;
      this.onError(e as Error);
    }
  }

  private currentSize(): number {
    try {
      return statSync(this.path).size;
    } catch {
      const dir = this.path.slice(0, Math.max(this.path.lastIndexOf('/'), this.path.lastIndexOf('\\')));
      if (dir) mkdirSync(dir, { recursive: true });
      return 0;
    }
  }

  private rotate(): void {
    const old = `${this.path}.${this.keep}`;
    try {
      unlinkSync(old);
    } catch {
      /* absent */
    }
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        /* absent */
      }
    }
    renameSync(this.path, `${this.path}.1`);
    this.size = 0;
  }
}

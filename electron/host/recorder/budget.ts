/** How the byte limit is shared out between the WAL, the main file and one batch. */
export interface ByteBudget {
  /** bytes the main file may use (the byte limit minus the WAL's share and slack) */
  mainBudget: number;
  /** the WAL's share (journal_size_limit) */
  walLimit: number;
  /** pages in the WAL before SQLite checkpoints on its own (half the WAL's share) */
  walAutocheckpointPages: number;
  /** free pages one retention step returns to the file system */
  vacuumPages: number;
  /** payload bytes of one batch, and so how far one insert can overshoot before retention runs */
  maxBatchBytes: number;
}

/** SQLite's default page size, which the recorder's database keeps. */
const PAGE_BYTES = 4096;

/**
 * The byte limit covers the main file and the WAL: the WAL gets a tenth of it (256 KiB-16 MiB,
 * enforced by journal_size_limit and an autocheckpoint at half that), the main file the rest
 * minus 10 % slack for the batch inserted before the next retention step and WAL overshoot
 * (the WAL grows by one transaction past the checkpoint threshold before it is reset).
 */
export function byteBudget(maxBytes: number, vacuumPages = 256): ByteBudget {
  const walLimit = Math.min(16 << 20, Math.max(256 << 10, Math.floor(maxBytes / 10)));
  return {
    mainBudget: Math.floor(maxBytes * 0.9) - walLimit,
    walLimit,
    walAutocheckpointPages: Math.floor(walLimit / 2 / PAGE_BYTES),
    // Every page a vacuum step moves is written to the WAL too: keep a step within a quarter of it.
    vacuumPages: Math.max(4, Math.min(vacuumPages, Math.floor(walLimit / PAGE_BYTES / 4))),
    // A batch is inserted before the retention step that follows it, so its bytes are how far the
    // file can overshoot: keep it well inside the slack above (2 % of the limit, 64 KiB - 8 MiB).
    maxBatchBytes: Math.min(8 << 20, Math.max(64 << 10, Math.floor(maxBytes * 0.02))),
  };
}

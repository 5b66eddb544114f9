import { BatchBuilder } from './batchCodec.js';
import type { PackedBatch, RecordedPacket } from './batchCodec.js';

export interface BatchQueueLimits {
  /** rows per batch */
  batchSize: number;
  /** payload bytes that seal a batch early */
  maxBatchBytes: number;
  /** queued rows beyond this drop the oldest queued batches */
  maxQueue: number;
  /** queued payload bytes beyond this drop the oldest queued batches too */
  maxQueueBytes: number;
}

/** A batch handed out for the writer thread, under the sequence number its commit reports. */
export interface OutgoingBatch {
  seq: number;
  batch: PackedBatch;
  transfer: ArrayBuffer[];
}

/**
 * The recorder's queue on the broker's thread: messages are copied into the open batch as they
 * are accepted (batchCodec.ts), full batches wait here, oldest first, until the writer thread has
 * room, and batches handed to it stay counted (in flight) until it reports them committed or
 * failed. Bounded: over maxQueue rows or maxQueueBytes, the oldest waiting batch goes.
 */
export class BatchQueue {
  /** the batch messages are being copied into */
  private open: BatchBuilder | null = null;
  /** full batches waiting for the writer, oldest first */
  private readonly sealed: { batch: PackedBatch; transfer: ArrayBuffer[]; n: number; bytes: number }[] = [];
  /** size of the last batch, the next one's first allocation */
  private lastBatch = { n: 256, bytes: 64 * 1024 };
  private readonly inFlight = new Map<number, { n: number; bytes: number }>();
  private seq = 0;
  /** rows and payload bytes in the open and the sealed batches */
  private waitingRows = 0;
  private waitingBytes = 0;
  private heldRows = 0;
  private heldBytes = 0;

  constructor(private readonly limits: BatchQueueLimits) {}

  /** Rows not yet handed to the writer. */
  get queuedRows(): number {
    return this.waitingRows;
  }

  get queuedBytes(): number {
    return this.waitingBytes;
  }

  /** Rows handed to the writer and not yet committed. */
  get inFlightRows(): number {
    return this.heldRows;
  }

  get inFlightBytes(): number {
    return this.heldBytes;
  }

  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  /** Full batches waiting for the writer. */
  get sealedBatches(): number {
    return this.sealed.length;
  }

  /** Rows in the open batch. */
  get openRows(): number {
    return this.open?.n ?? 0;
  }

  /** Copy a message into the open batch (O(1), nothing of the packet is kept). Returns the rows dropped to stay in bounds. */
  add(p: RecordedPacket): number {
    const l = this.limits;
    const b = (this.open ??= new BatchBuilder(Math.min(l.batchSize, l.maxQueue), this.lastBatch.n, this.lastBatch.bytes));
    b.add(p);
    this.waitingRows++;
    this.waitingBytes += p.payload.byteLength;
    if (b.full || b.bytes >= l.maxBatchBytes) this.sealOpen();
    // Over a bound: the oldest whole batch goes (the writer is that far behind).
    let dropped = 0;
    while ((this.waitingRows > l.maxQueue || this.waitingBytes > l.maxQueueBytes) && this.sealed.length > 0) {
      const old = this.sealed.shift()!;
      this.waitingRows -= old.n;
      this.waitingBytes -= old.bytes;
      dropped += old.n;
    }
    return dropped;
  }

  /** Close the open batch (if it has rows) so it can be handed out. */
  sealOpen(): void {
    const b = this.open;
    if (!b || b.n === 0) return;
    this.open = null;
    this.lastBatch = { n: b.n, bytes: b.bytes };
    this.sealed.push({ ...b.seal(), n: b.n, bytes: b.bytes });
  }

  /** The oldest sealed batch, now in flight; undefined when none waits. */
  take(): OutgoingBatch | undefined {
    const s = this.sealed.shift();
    if (!s) return undefined;
    this.waitingRows -= s.n;
    this.waitingBytes -= s.bytes;
    const seq = ++this.seq;
    this.inFlight.set(seq, { n: s.n, bytes: s.bytes });
    this.heldRows += s.n;
    this.heldBytes += s.bytes;
    return { seq, batch: s.batch, transfer: s.transfer };
  }

  /** The writer is done with batch `seq` (committed or failed). */
  settle(seq: number): void {
    const b = this.inFlight.get(seq);
    if (!b) return;
    this.inFlight.delete(seq);
    this.heldRows -= b.n;
    this.heldBytes -= b.bytes;
  }

  /** Forget every batch in flight (the writer thread holding them died); returns their rows. */
  dropInFlight(): number {
    const lost = this.heldRows;
    this.inFlight.clear();
    this.heldRows = 0;
    this.heldBytes = 0;
    return lost;
  }
}

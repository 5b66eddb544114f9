import type { PendingRow } from './batchWriter.js';

/**
 * A batch of recorded messages in the form that crosses to the writer thread.
 *
 * The broker's thread builds it message by message as they are accepted (BatchBuilder.add): each
 * payload is copied at once into one growing buffer, the numbers go into typed arrays and the
 * strings (topic, client id, principal) into a per-batch table of distinct values. So nothing of
 * the broker's packet outlives its delivery: no queued object per message for the garbage
 * collector to promote, and no Buffer view that would keep Aedes' whole 64 KiB socket chunk alive.
 * postMessage then TRANSFERS the buffers (moves, not copies) and structured-clones only the short
 * string table (https://nodejs.org/api/worker_threads.html#considerations-when-transferring-typedarrays-and-buffers).
 */
export interface PackedBatch {
  n: number;
  /** distinct topic / client id / principal strings of this batch */
  strings: string[];
  /** per row: index into `strings` */
  topics: Uint32Array;
  /** per row: index into `strings`, -1 for none */
  clientIds: Int32Array;
  principals: Int32Array;
  times: Float64Array;
  /** qos in the low 2 bits, retain in bit 2 */
  flags: Uint8Array;
  /** end offset of row i's payload copy in `payload` */
  ends: Uint32Array;
  payload: ArrayBuffer;
}

/** What the builder needs of a message (a BusPacket fits). */
export interface RecordedPacket {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  clientId: string | null;
  principal: string | null;
  time: number;
}

export class BatchBuilder {
  n = 0;
  /** payload bytes copied so far */
  bytes = 0;
  private readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  private topics: Uint32Array;
  private clientIds: Int32Array;
  private principals: Int32Array;
  private times: Float64Array;
  private flags: Uint8Array;
  private ends: Uint32Array;
  private buf: Uint8Array;

  /**
   * @param capacity rows this batch holds at most
   * @param rowsHint, bytesHint first sizes of the row arrays and the payload buffer (both double
   *   when needed): the size of the previous batch, so a busy bus allocates once per batch and
   *   an idle one does not allocate a full batch every flush
   */
  constructor(
    readonly capacity: number,
    rowsHint: number,
    bytesHint: number,
  ) {
    const rows = Math.max(16, Math.min(capacity, Math.ceil(rowsHint)));
    this.topics = new Uint32Array(rows);
    this.clientIds = new Int32Array(rows);
    this.principals = new Int32Array(rows);
    this.times = new Float64Array(rows);
    this.flags = new Uint8Array(rows);
    this.ends = new Uint32Array(rows);
    this.buf = new Uint8Array(Math.max(1024, Math.ceil(bytesHint)));
  }

  private growRows(): void {
    const rows = Math.min(this.capacity, this.topics.length * 2);
    const grow = <T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(rows);
      b.set(a);
      return b;
    };
    this.topics = grow(this.topics, (k) => new Uint32Array(k));
    this.clientIds = grow(this.clientIds, (k) => new Int32Array(k));
    this.principals = grow(this.principals, (k) => new Int32Array(k));
    this.times = grow(this.times, (k) => new Float64Array(k));
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.ends = grow(this.ends, (k) => new Uint32Array(k));
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  private intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  /**
   * Copy one message in (the whole payload: the writer reads the envelope ids from it, and cuts
   * what it stores). The caller checks `full` first.
   */
  add(p: RecordedPacket): void {
    const i = this.n;
    if (i === this.topics.length) this.growRows();
    const len = p.payload.byteLength;
    if (this.bytes + len > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(this.buf.byteLength * 2, this.bytes + len));
      grown.set(this.buf.subarray(0, this.bytes));
      this.buf = grown;
    }
    this.buf.set(p.payload, this.bytes);
    this.bytes += len;
    this.topics[i] = this.intern(p.topic);
    this.clientIds[i] = p.clientId === null ? -1 : this.intern(p.clientId);
    this.principals[i] = p.principal === null ? -1 : this.intern(p.principal);
    this.times[i] = p.time;
    this.flags[i] = (p.qos & 3) | (p.retain ? 4 : 0);
    this.ends[i] = this.bytes;
    this.n = i + 1;
  }

  /** The finished batch and the buffers to transfer with it (moved as they are: no copy). The builder must not be used after. */
  seal(): { batch: PackedBatch; transfer: ArrayBuffer[] } {
    const batch: PackedBatch = {
      n: this.n,
      strings: this.strings,
      topics: this.topics,
      clientIds: this.clientIds,
      principals: this.principals,
      times: this.times,
      flags: this.flags,
      ends: this.ends,
      payload: this.buf.buffer as ArrayBuffer,
    };
    const arrays = [this.topics, this.clientIds, this.principals, this.times, this.flags, this.ends];
    return { batch, transfer: [batch.payload, ...arrays.map((a) => a.buffer as ArrayBuffer)] };
  }
}

/** The rows again, payloads as views into the one transferred buffer (no copy). */
export function unpackBatch(b: PackedBatch): PendingRow[] {
  const rows = new Array<PendingRow>(b.n);
  let start = 0;
  for (let i = 0; i < b.n; i++) {
    const end = b.ends[i]!;
    const c = b.clientIds[i]!;
    const p = b.principals[i]!;
    rows[i] = {
      topic: b.strings[b.topics[i]!]!,
      payload: Buffer.from(b.payload, start, end - start),
      qos: b.flags[i]! & 3,
      retain: (b.flags[i]! & 4) !== 0,
      clientId: c < 0 ? null : b.strings[c]!,
      principal: p < 0 ? null : b.strings[p]!,
      time: b.times[i]!,
    };
    start = end;
  }
  return rows;
}

import type { PendingRow } from './store.js';

/**
 * A batch of queued rows in the form that crosses to the writer thread.
 *
 * postMessage structured-clones a Buffer by copying its WHOLE backing ArrayBuffer: a 256 B payload
 * that Aedes sliced out of a 64 KiB socket read, or a pooled Buffer from the 8 KiB slab, would drag
 * all of that along per row (https://nodejs.org/api/worker_threads.html#considerations-when-transferring-typedarrays-and-buffers).
 * So payloads are copied once into one fresh ArrayBuffer per batch and that buffer, like the
 * numeric columns, is TRANSFERRED (moved, not copied). The strings (topic, client id, principal)
 * go as plain arrays: short, and structured clone copies those cheaply.
 */
export interface PackedBatch {
  n: number;
  topics: string[];
  clientIds: (string | null)[];
  principals: (string | null)[];
  times: Float64Array;
  /** qos in the low 2 bits, retain in bit 2 */
  flags: Uint8Array;
  /** end offset of row i's payload in `payload` */
  ends: Uint32Array;
  payload: ArrayBuffer;
}

export function packBatch(rows: readonly PendingRow[]): { batch: PackedBatch; transfer: ArrayBuffer[] } {
  const n = rows.length;
  const topics = new Array<string>(n);
  const clientIds = new Array<string | null>(n);
  const principals = new Array<string | null>(n);
  const times = new Float64Array(n);
  const flags = new Uint8Array(n);
  const ends = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += rows[i]!.payload.byteLength;
    ends[i] = total;
  }
  const payload = new ArrayBuffer(total);
  const bytes = new Uint8Array(payload);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    topics[i] = r.topic;
    clientIds[i] = r.clientId;
    principals[i] = r.principal;
    times[i] = r.time;
    flags[i] = (r.qos & 3) | (r.retain ? 4 : 0);
    bytes.set(r.payload, off);
    off += r.payload.byteLength;
  }
  return {
    batch: { n, topics, clientIds, principals, times, flags, ends, payload },
    transfer: [payload, times.buffer as ArrayBuffer, flags.buffer as ArrayBuffer, ends.buffer as ArrayBuffer],
  };
}

/** The rows again, payloads as views into the one transferred buffer (no copy). */
export function unpackBatch(b: PackedBatch): PendingRow[] {
  const rows = new Array<PendingRow>(b.n);
  let start = 0;
  for (let i = 0; i < b.n; i++) {
    const end = b.ends[i]!;
    rows[i] = {
      topic: b.topics[i]!,
      payload: Buffer.from(b.payload, start, end - start),
      qos: b.flags[i]! & 3,
      retain: (b.flags[i]! & 4) !== 0,
      clientId: b.clientIds[i] ?? null,
      principal: b.principals[i] ?? null,
      time: b.times[i]!,
    };
    start = end;
  }
  return rows;
}

import { concatPcm } from '../../lib/audio/pcm.js';
import { newId } from '../../lib/protocol/envelope.js';
import { topicFor } from '../../lib/protocol/topics.js';
import type { OperatorClient } from '../../voice-router/testing/operatorClient.js';

export interface StreamOptions {
  /** chunk length (default 100 ms) */
  chunkMs?: number;
  rate?: number;
  /** mark the last chunk final (default true) */
  final?: boolean;
  /** seq of the first chunk (default 0) */
  fromSeq?: number;
  trace_id?: string;
  /** send in real time (a chunk every chunkMs), as a microphone would */
  realtime?: boolean;
  /** more fields for every chunk (e.g. endpointing: false) */
  extra?: Record<string, unknown>;
  /** change each chunk before it is sent (gaps, format changes) */
  mangle?: (chunk: Record<string, unknown>, index: number) => Record<string, unknown> | null;
}

/** Split 16-bit PCM into chunks as a window or satellite would send them. */
export function chunksOf(pcm: Int16Array, rate: number, chunkMs: number): Int16Array[] {
  const n = Math.round((rate * chunkMs) / 1000);
  const out: Int16Array[] = [];
  for (let at = 0; at < pcm.length; at += n) out.push(pcm.subarray(at, at + n));
  return out;
}

/** `ms` of digital silence at 16 kHz. */
export const silence16k = (ms: number): Int16Array => new Int16Array((ms * 16000) / 1000);

/** Pieces of 16 kHz PCM one after the other; a number stands for that many ms of silence. */
export function joinPcm(...parts: Array<Int16Array | number>): Int16Array {
  return concatPcm(parts.map((p) => (typeof p === 'number' ? silence16k(p) : p)));
}

function b64(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}

/**
 * Publish audio on alicia/voice/audio/<session> (or a listen site) as the operator; one trace id for
 * the whole utterance. Returns the trace id and when the last chunk was published (performance.now()).
 */
export async function sendAudio(
  op: OperatorClient,
  target: { session_id: string } | { site_id: string },
  pcm: Int16Array,
  opts: StreamOptions = {},
): Promise<{ trace_id: string; lastAt: number }> {
  const rate = opts.rate ?? 16000;
  const chunkMs = opts.chunkMs ?? 100;
  const trace_id = opts.trace_id ?? newId();
  const chunks = chunksOf(pcm, rate, chunkMs);
  const listen = 'site_id' in target;
  const topic = listen ? topicFor('alicia/voice/listen/+', target.site_id) : topicFor('alicia/voice/audio/+', target.session_id);
  const t0 = performance.now();
  let lastAt = t0;
  for (let i = 0; i < chunks.length; i++) {
    // a short last piece is only allowed on a final chunk
    const last = i === chunks.length - 1;
    const piece = chunks[i]!;
    if (last && !listen && opts.final === false && piece.length < (rate * 20) / 1000) break;
    if (last && listen && piece.length < (rate * 20) / 1000) break;
    let body: Record<string, unknown> | null = {
      ...(listen ? { site_id: target.site_id } : { session_id: target.session_id }),
      seq: (opts.fromSeq ?? 0) + i,
      rate,
      width: 2,
      channels: 1,
      pcm: b64(piece),
      ...(!listen && last && opts.final !== false ? { final: true } : {}),
      ...opts.extra,
    };
    if (opts.mangle) body = opts.mangle(body, i);
    if (!body) continue;
    if (opts.realtime) {
      const due = t0 + i * chunkMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await op.send(topic, body, { trace_id, ...(listen ? {} : { session_id: target.session_id }) });
    lastAt = performance.now();
  }
  return { trace_id, lastAt };
}

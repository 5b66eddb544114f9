/**
 * Microphone blocks (Float32, any length: 128 samples from an AudioWorklet, 2048 from a
 * ScriptProcessor) -> 16-bit PCM chunks of exactly `chunkSamples`, the unit streamed on
 * alicia/voice/audio/<session> (20-200 ms each). flush() returns the short rest for the final chunk.
 */
export class PcmChunker {
  private buf: Int16Array;
  private fill = 0;

  constructor(private readonly chunkSamples: number) {
    this.buf = new Int16Array(chunkSamples);
  }

  push(block: Float32Array): Int16Array[] {
    const out: Int16Array[] = [];
    for (let i = 0; i < block.length; i++) {
      const s = Math.max(-1, Math.min(1, block[i] as number));
      this.buf[this.fill++] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
      if (this.fill === this.chunkSamples) {
        out.push(this.buf);
        this.buf = new Int16Array(this.chunkSamples);
        this.fill = 0;
      }
    }
    return out;
  }

  flush(): Int16Array {
    const rest = this.buf.slice(0, this.fill);
    this.fill = 0;
    return rest;
  }
}

/** 16-bit PCM as little-endian base64 (the chunk's `pcm`). */
export function pcmToBase64(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i] as number, true);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** RMS of a chunk, 0..1 (the level meter). */
export function level(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += (pcm[i] as number) ** 2;
  return pcm.length ? Math.sqrt(sum / pcm.length) / 32768 : 0;
}

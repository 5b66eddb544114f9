import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GARBAGE_PHONES, garbageUnit, isGarbageWord } from '../lib/language/garbage.js';
import { FSG_FILLERS } from '../lib/language/grammar.js';
import type { Decoder, FsgFiller, WordSegment } from './decoder.js';

/**
 * What a decoder needs to search a grammar with a garbage path (services/lib/language/garbage.ts):
 * the garbage phones as filler words, and which self-loops of an FSG are fillers. Shared by the
 * command recogniser (pocketsphinxEngine.ts) and the wake word's verifier (wakeWord.ts).
 */

/** A private copy of the model's noise dictionary with the garbage phones added (pocketsphinx reads fillers only from a file, -fdict). */
export class GarbageFillerDict {
  private dir: string | undefined;

  /** Write it; the path to pass as -fdict. */
  write(hmm: string): string {
    this.dispose();
    this.dir = mkdtempSync(join(tmpdir(), 'alicia-stt-'));
    const path = join(this.dir, 'noisedict');
    const noise = readFileSync(join(hmm, 'noisedict'), 'latin1').trimEnd();
    writeFileSync(path, `${noise}\n${GARBAGE_PHONES.map((p) => `${garbageUnit(p)} ${p}\n`).join('')}`);
    return path;
  }

  /** Remove it (once the decoder has read it); can run twice. */
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

const SILENCES = new Set(FSG_FILLERS.map((f) => f.word));

/** The FSG's self-loops on silences and garbage units: the search must treat those words as fillers. */
export function fsgFillers(fsg: string): FsgFiller[] {
  const out: FsgFiller[] = [];
  for (const line of fsg.split('\n')) {
    const m = /^TRANSITION (\d+) (\d+) (\S+) (\S+)$/.exec(line);
    if (m && m[1] === m[2] && (SILENCES.has(m[4]!) || isGarbageWord(m[4]!)))
      out.push({ word: m[4]!, state: Number(m[1]), prob: Number(m[3]) });
  }
  return out;
}

/** The words of a best path, without silences and noise, alternative pronunciations folded ("to(2)" -> "to"); garbage units kept. */
export function spokenWords(segments: readonly WordSegment[]): string[] {
  return segments
    .map((s) => s.word.replace(/\(\d+\)$/, ''))
    .filter((w) => w !== '' && !SILENCES.has(w) && w !== '<s>' && w !== '</s>' && w !== '(NULL)');
}

/** Give a decoder its grammar search: FSG text (with its filler self-loops marked) or JSGF. */
export async function loadGrammar(d: Decoder, grammar: string): Promise<void> {
  if (grammar.startsWith('FSG_BEGIN')) await d.setFsg(grammar, fsgFillers(grammar));
  else await d.setJsgf(grammar);
}

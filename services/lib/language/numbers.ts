/**
 * Number words, both ways ("twenty one" <-> 21), for the intent matcher (spoken numbers arrive as
 * words from the recogniser) and for the grammar (the recogniser can only say words it was given).
 * Range 0-999 covers percentages, volumes and temperatures; "point five" gives half degrees.
 */

export const UNITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;
export const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const;
export const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'] as const;

const SMALL = new Map<string, number>([...UNITS.map((w, i) => [w, i] as const), ...TEENS.map((w, i) => [w, 10 + i] as const)]);
const TENS_MAP = new Map<string, number>(TENS.map((w, i) => [w, i * 10] as const).filter(([w]) => w !== ''));

/** 0-999 (integers) -> words, e.g. 21 -> "twenty one", 105 -> "one hundred five"; 21.5 -> "twenty one point five". */
export function numberToWords(n: number): string {
  if (!Number.isFinite(n) || n < 0 || n >= 1000) throw new RangeError(`numberToWords supports 0-999, got ${n}`);
  const int = Math.trunc(n);
  const frac = Math.round((n - int) * 10);
  const parts: string[] = [];
  const hundreds = Math.trunc(int / 100);
  const rest = int % 100;
  if (hundreds > 0) parts.push(UNITS[hundreds]!, 'hundred');
  if (rest > 0 || hundreds === 0) {
    if (rest < 20) parts.push(rest < 10 ? UNITS[rest]! : TEENS[rest - 10]!);
    else {
      parts.push(TENS[Math.trunc(rest / 10)]!);
      if (rest % 10 !== 0) parts.push(UNITS[rest % 10]!);
    }
  }
  if (frac > 0) parts.push('point', UNITS[frac]!);
  return parts.join(' ');
}

export interface NumberParse {
  value: number;
  /** index after the last token consumed */
  next: number;
}

/** Integer part in words starting at tokens[i], longest reading first. */
function intReadings(tokens: readonly string[], i: number): NumberParse[] {
  const out: NumberParse[] = [];
  const below100 = (j: number): NumberParse[] => {
    const r: NumberParse[] = [];
    const w = tokens[j];
    if (w === undefined) return r;
    const tens = TENS_MAP.get(w);
    if (tens !== undefined) {
      const u = SMALL.get(tokens[j + 1] ?? '');
      if (u !== undefined && u > 0 && u < 10) r.push({ value: tens + u, next: j + 2 });
      r.push({ value: tens, next: j + 1 });
      return r;
    }
    const s = SMALL.get(w);
    if (s !== undefined) r.push({ value: s, next: j + 1 });
    return r;
  };
  const w = tokens[i];
  if (w === undefined) return out;
  // "one hundred [and] twenty", "a hundred"
  const h = w === 'a' ? 1 : SMALL.get(w);
  if (h !== undefined && h > 0 && h < 10 && tokens[i + 1] === 'hundred') {
    let j = i + 2;
    if (tokens[j] === 'and') j++;
    for (const r of below100(j)) if (r.value > 0) out.push({ value: h * 100 + r.value, next: r.next });
    out.push({ value: h * 100, next: i + 2 });
  }
  if (w === 'hundred') out.push({ value: 100, next: i + 1 });
  out.push(...below100(i));
  return out;
}

/**
 * All readings of a number starting at tokens[i], longest first: digits ("21", "21.5") or words
 * ("twenty one", "twenty one point five"). The matcher tries each so that the rest of the sentence
 * decides (e.g. "set it to twenty one" vs "... twenty one degrees").
 */
export function parseNumber(tokens: readonly string[], i: number): NumberParse[] {
  const w = tokens[i];
  if (w === undefined) return [];
  if (/^\d{1,3}(\.\d)?$/.test(w)) return [{ value: Number(w), next: i + 1 }];
  const out: NumberParse[] = [];
  for (const r of intReadings(tokens, i)) {
    if (tokens[r.next] === 'point') {
      const d = SMALL.get(tokens[r.next + 1] ?? '');
      if (d !== undefined && d < 10) out.push({ value: r.value + d / 10, next: r.next + 2 });
    }
    out.push(r);
  }
  return out.sort((a, b) => b.next - a.next);
}

/** Whole-string convenience: "fifty" -> 50, "twenty one" -> 21, "abc" -> undefined. */
export function wordsToNumber(text: string): number | undefined {
  const tokens = text.trim().toLowerCase().split(/\s+/);
  return parseNumber(tokens, 0).find((r) => r.next === tokens.length)?.value;
}

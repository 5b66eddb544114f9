/**
 * Text -> tokens for intent matching. Typed text and recogniser output both pass through here, so
 * "Turn on the Kitchen Light!", "what's the temperature?" and "set it to 50%" all become plain words.
 */

const CONTRACTIONS: Record<string, string> = {
  "what's": 'what is',
  "it's": 'it is',
  "that's": 'that is',
  "how's": 'how is',
  "i'd": 'i would',
  "don't": 'do not',
};

/** Courtesy words around a command that carry no meaning for the intent. */
const LEADING_FILLERS = [
  ['hey', 'alicia'],
  ['ok', 'alicia'],
  ['alicia'],
  ['please'],
  ['can', 'you'],
  ['could', 'you'],
  ['would', 'you'],
  ['please'],
];
const TRAILING_FILLERS = [['please'], ['thanks'], ['thank', 'you'], ['alicia']];

export function normalize(text: string): string[] {
  let t = text.toLowerCase().normalize('NFKC');
  t = t.replace(/[\u2018\u2019`]/g, "'");
  t = t.replace(/(\d)\s*%/g, '$1 percent ').replace(/%/g, ' percent ');
  t = t.replace(/(\d)\s*°\s*c?\b/g, '$1 degrees ').replace(/°/g, ' degrees ');
  // keep decimal points inside numbers, drop other punctuation
  t = t
    .replace(/[^a-z0-9'.\s-]/g, ' ')
    .replace(/(?<!\d)\.|\.(?!\d)/g, ' ')
    .replace(/-/g, ' ');
  let tokens = t
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .flatMap((w) => (CONTRACTIONS[w] ?? w.replace(/^'+|'+$/g, '')).split(' '))
    .filter((w) => w.length > 0);
  let changed = true;
  while (changed) {
    changed = false;
    for (const f of LEADING_FILLERS) {
      if (tokens.length > f.length && f.every((w, i) => tokens[i] === w)) {
        tokens = tokens.slice(f.length);
        changed = true;
      }
    }
    for (const f of TRAILING_FILLERS) {
      if (tokens.length > f.length && f.every((w, i) => tokens[tokens.length - f.length + i] === w)) {
        tokens = tokens.slice(0, tokens.length - f.length);
        changed = true;
      }
    }
  }
  return tokens;
}

/** A device or room phrase as tokens, without a leading article ("the lamp" -> ["lamp"]). */
export function phraseTokens(phrase: string): string[] {
  const t = normalize(phrase);
  return t[0] === 'the' || t[0] === 'a' || t[0] === 'my' ? t.slice(1) : t;
}

/**
 * A room as the {room} slot reads it: "The Study" and "study" are one room, "Guest-Room" is "guest
 * room". Devices are compared with a spoken room by this key, never by their raw room text.
 */
export function roomKey(room: string): string {
  return phraseTokens(room).join(' ');
}

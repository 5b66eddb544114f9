/**
 * What a device's name, room and aliases may be: the words a person says to it, so each must be
 * sayable (letters, digits, spaces, ' and -, at least one letter) and short. Shared by the device
 * manager, which refuses a bad registry edit with the codes below, and the window's forms, which
 * say the same thing before anything is sent. Whether a phrase is already another device's is the
 * device manager's to decide (it knows every device); the forms check it too, as a courtesy.
 */

export const NAMING_LIMITS = { text: 80, aliases: 20 } as const;

export type NamingField = 'name' | 'room' | 'aliases';

/** letters and digits of any script, spaces, apostrophes and hyphens */
const SPOKEN_RE = /^[\p{L}\p{N}' -]+$/u;

/** Words a device cannot be called: they already mean "the device of the last command". */
const RESERVED = new Set(['it', 'that']);

/** Trimmed, inner runs of blanks made one space: "  desk   lamp " -> "desk lamp". */
export function tidyText(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

/** "The Kitchen  Light" -> "kitchen light": how a phrase is heard (the language layer also drops a leading article). */
export function spokenKey(phrase: string): string {
  const words = phrase
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '');
  return (words[0] === 'the' || words[0] === 'a' || words[0] === 'my' ? words.slice(1) : words).join(' ');
}

/** Why `text` (already tidied) cannot be said, in words; null when it can. `label` starts the sentence. */
export function spokenProblem(label: string, text: string): string | null {
  if (text === '') return `${label} is empty`;
  if (text.length > NAMING_LIMITS.text) return `${label} is too long (at most ${NAMING_LIMITS.text} characters)`;
  if (!SPOKEN_RE.test(text)) return `${label} may only use letters, digits, spaces, ' and -`;
  if (!/\p{L}/u.test(text)) return `${label} needs at least one word to say`;
  const key = spokenKey(text);
  if (key === '') return `${label} needs a word besides “the”, “a” or “my”`;
  if (RESERVED.has(key)) return `${label} cannot be “${key}”: it already means the device of the last command`;
  return null;
}

/** A refused naming edit: the field it concerns, the code the device manager answers with, the reason in words. */
export interface NamingProblem {
  field: NamingField;
  code: 'DEVICE_NAME_INVALID' | 'DEVICE_ROOM_INVALID' | 'DEVICE_ALIAS_INVALID';
  message: string;
  value: string;
}

/**
 * Check the new values of an edit (fields left undefined are not being changed); the first problem,
 * or null. `currentName` is the device's name when the edit does not change it (an alias must not repeat it).
 */
export function namingProblem(
  edit: { name?: string; room?: string; aliases?: readonly string[] },
  currentName?: string,
): NamingProblem | null {
  if (edit.name !== undefined) {
    const name = tidyText(edit.name);
    const p = name === '' ? 'Give the device a name, e.g. desk lamp' : spokenProblem('The name', name);
    if (p) return { field: 'name', code: 'DEVICE_NAME_INVALID', message: p, value: edit.name };
  }
  if (edit.room !== undefined) {
    // no room is allowed: the device is then only reachable by its name
    const room = tidyText(edit.room);
    const p = room === '' ? null : spokenProblem('The room', room);
    if (p) return { field: 'room', code: 'DEVICE_ROOM_INVALID', message: p, value: edit.room };
  }
  if (edit.aliases !== undefined) {
    const aliases = edit.aliases.map(tidyText);
    if (aliases.length > NAMING_LIMITS.aliases) {
      return {
        field: 'aliases',
        code: 'DEVICE_ALIAS_INVALID',
        message: `At most ${NAMING_LIMITS.aliases} aliases`,
        value: `${aliases.length} aliases`,
      };
    }
    const seen = new Set<string>();
    const name = spokenKey(edit.name ?? currentName ?? '');
    for (const a of aliases) {
      const p = spokenProblem(`Alias “${a}”`, a);
      if (p) return { field: 'aliases', code: 'DEVICE_ALIAS_INVALID', message: p, value: a };
      const k = spokenKey(a);
      if (seen.has(k) || (name !== '' && k === name)) {
        return { field: 'aliases', code: 'DEVICE_ALIAS_INVALID', message: `“${a}” is listed twice (or repeats the name)`, value: a };
      }
      seen.add(k);
    }
  }
  return null;
}

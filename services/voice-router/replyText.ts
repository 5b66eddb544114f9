/**
 * The ai's reply sentence may hold {placeholders} the router fills from device state (voice.ts:
 * "may contain {placeholders} filled by the router from device responses"), e.g.
 * "The temperature in the hallway is {value} degrees." for a query, or "The kitchen light is at
 * {brightness} percent." after a command. A placeholder is a dotted path into the scope below; one
 * that cannot be filled becomes "unknown" (never spoken as "curly brace value").
 */
export function fillReply(template: string, scope: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (_m, path: string) => {
    const v = lookup(scope, path);
    return v === undefined || v === null ? 'unknown' : spoken(lastKey(path), v);
  });
}

/** Does the sentence still need values? (then a query without known state cannot be answered) */
export function hasPlaceholders(template: string): boolean {
  return /\{[A-Za-z_][A-Za-z0-9_.]*\}/.test(template);
}

/**
 * A state value as words: booleans by what the field means ("on"/"off", "locked"/"unlocked"),
 * numbers rounded to one decimal (a sensor's 21.4375 is said "21.4").
 */
export function spoken(field: string, value: unknown): string {
  if (typeof value === 'boolean') {
    const words = BOOLEAN_WORDS[field] ?? ['yes', 'no'];
    return value ? words[0] : words[1];
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 10) / 10);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const BOOLEAN_WORDS: Record<string, [string, string]> = {
  on: ['on', 'off'],
  value: ['yes', 'no'],
  locked: ['locked', 'unlocked'],
  playing: ['playing', 'paused'],
  motion: ['detected', 'not detected'],
  online: ['online', 'offline'],
};

function lastKey(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? path : path.slice(i + 1);
}

function lookup(scope: Record<string, unknown>, path: string): unknown {
  let cur: unknown = scope;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

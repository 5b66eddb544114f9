import { DeviceRegistry, deviceInfoFromStatus } from './deviceRegistry.js';
import type { DeviceStatusLike } from './deviceRegistry.js';
import { ANSWER_INTENTS, INTENT_TEMPLATES } from './intents.js';
import { matchIntent } from './matcher.js';
import { parseTemplate } from './template.js';
import type { TemplateNode } from './template.js';

export interface Example {
  /** the intent family, e.g. turn_on */
  intent: string;
  phrase: string;
}

/** Optional words kept in an example: they make it read like a sentence ("turn on the kitchen light"). */
const KEEP_OPTIONAL = new Set(['the', 'turn', 'percent', 'degrees']);
/** Numbers tried for a {number} slot, in order: a brightness/volume, then a temperature. */
const NUMBERS = ['fifty', 'twenty one'];

function hasSlot(n: TemplateNode): boolean {
  if (n.t === 'slot') return true;
  if (n.t === 'opt') return hasSlot(n.item);
  if (n.t === 'alt') return n.options.some(hasSlot);
  if (n.t === 'seq') return n.items.some(hasSlot);
  return false;
}

function words(n: TemplateNode): string[] {
  if (n.t === 'word') return [n.w];
  if (n.t === 'opt') return words(n.item);
  if (n.t === 'alt') return words(n.options[0]!);
  if (n.t === 'seq') return n.items.flatMap(words);
  return [];
}

/** Every sentence a template gives with these slot fillers (the first alternative of each choice). */
function expand(n: TemplateNode, fill: Record<string, readonly string[]>): string[][] {
  switch (n.t) {
    case 'word':
      return [[n.w]];
    case 'slot':
      return (fill[n.slot] ?? []).map((v) => v.split(' '));
    case 'alt':
      return expand(n.options[0]!, fill);
    case 'opt':
      // a slot inside makes the sentence name the device or room; plain optional words only if they read well
      if (hasSlot(n.item) || words(n.item).every((w) => KEEP_OPTIONAL.has(w))) return expand(n.item, fill);
      return [[]];
    case 'seq': {
      let out: string[][] = [[]];
      for (const item of n.items) {
        const next = expand(item, fill);
        out = out.flatMap((a) => next.map((b) => [...a, ...b])).slice(0, 200);
      }
      return out;
    }
  }
}

/**
 * "What can I say?": one example per intent family, generated from the same templates the
 * recogniser's grammar and the intent matcher are built from, filled with this home's device names
 * and rooms, and kept only when the real matcher understands it as that intent (so every example
 * works, and a device that cannot do something is never offered for it).
 */
export function examplePhrases(devices: readonly DeviceStatusLike[]): Example[] {
  const registry = new DeviceRegistry();
  for (const d of devices) registry.upsert(deviceInfoFromStatus(d));
  const named = registry.list().sort((a, b) => a.room.localeCompare(b.room) || a.name.localeCompare(b.name));
  const fill = {
    device: named.map((d) => d.name),
    room: [...new Set(named.map((d) => d.room).filter((r) => r !== ''))],
    number: NUMBERS,
    mode: ['heat'],
  };
  const out: Example[] = [];
  const done = new Set<string>();
  for (const t of INTENT_TEMPLATES) {
    if (done.has(t.intent) || ANSWER_INTENTS.has(t.intent)) continue;
    for (const sentence of expand(parseTemplate(t.template), fill)) {
      const phrase = sentence.join(' ');
      const r = matchIntent(phrase, registry);
      if (r.understood && r.intent.name === t.intent) {
        out.push({ intent: t.intent, phrase });
        done.add(t.intent);
        break;
      }
    }
  }
  return out;
}

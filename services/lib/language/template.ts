/**
 * Sentence templates: one small syntax read by both the intent matcher and the grammar generator,
 * so the recogniser can say exactly the sentences the matcher understands.
 *
 *   word          a literal word
 *   [ ... ]       optional
 *   ( a | b c )   alternatives
 *   {slot}        a slot filled from the registry or a number: {device} {room} {number} {mode}
 *
 * e.g. "(turn | switch) on [the] {device}"
 */

export type SlotType = 'device' | 'room' | 'number' | 'mode';
export const SLOT_TYPES: readonly SlotType[] = ['device', 'room', 'number', 'mode'];

export type TemplateNode =
  | { t: 'word'; w: string }
  | { t: 'slot'; slot: SlotType }
  | { t: 'seq'; items: TemplateNode[] }
  | { t: 'alt'; options: TemplateNode[] }
  | { t: 'opt'; item: TemplateNode };

/** Parse a template; throws on syntax errors (templates are code, so this fails at start-up/tests). */
export function parseTemplate(src: string): TemplateNode {
  const tokens = src.match(/\{[a-z]+\}|[[\]()|]|[a-z']+/g) ?? [];
  if (tokens.join('') !== src.replace(/\s+/g, '')) throw new Error(`bad characters in template "${src}"`);
  let i = 0;
  const parseAlt = (close: string | undefined): TemplateNode => {
    const options: TemplateNode[] = [];
    let items: TemplateNode[] = [];
    for (;;) {
      const tok = tokens[i];
      if (tok === undefined) {
        if (close !== undefined) throw new Error(`unclosed "${close === ']' ? '[' : '('}" in "${src}"`);
        break;
      }
      i++;
      if (tok === close) break;
      if (tok === '|') {
        options.push(seq(items));
        items = [];
      } else if (tok === '[') items.push({ t: 'opt', item: parseAlt(']') });
      else if (tok === '(') items.push(parseAlt(')'));
      else if (tok === ']' || tok === ')') throw new Error(`unexpected "${tok}" in "${src}"`);
      else if (tok.startsWith('{')) {
        const slot = tok.slice(1, -1) as SlotType;
        if (!SLOT_TYPES.includes(slot)) throw new Error(`unknown slot ${tok} in "${src}"`);
        items.push({ t: 'slot', slot });
      } else items.push({ t: 'word', w: tok });
    }
    options.push(seq(items));
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  };
  const seq = (items: TemplateNode[]): TemplateNode => (items.length === 1 ? items[0]! : { t: 'seq', items });
  const node = parseAlt(undefined);
  return node;
}

/** A slot filler: given the tokens and a position, every way the slot can be read there. */
export type SlotReader = (tokens: readonly string[], pos: number) => Array<{ value: string | number; next: number }>;
export type SlotReaders = Record<SlotType, SlotReader>;
export type SlotValues = Partial<Record<SlotType, string | number>>;

/**
 * Every way `node` can consume tokens from `pos`, as (next position, slots) pairs. Generators keep
 * backtracking lazy: commands are a handful of words, templates a handful of alternatives.
 */
function* walk(
  node: TemplateNode,
  tokens: readonly string[],
  pos: number,
  slots: SlotValues,
  readers: SlotReaders,
): Generator<[number, SlotValues]> {
  switch (node.t) {
    case 'word':
      if (tokens[pos] === node.w) yield [pos + 1, slots];
      return;
    case 'slot':
      for (const r of readers[node.slot](tokens, pos)) yield [r.next, { ...slots, [node.slot]: r.value }];
      return;
    case 'opt':
      yield* walk(node.item, tokens, pos, slots, readers);
      yield [pos, slots];
      return;
    case 'alt':
      for (const o of node.options) yield* walk(o, tokens, pos, slots, readers);
      return;
    case 'seq': {
      const step = function* (k: number, p: number, s: SlotValues): Generator<[number, SlotValues]> {
        if (k === node.items.length) {
          yield [p, s];
          return;
        }
        for (const [np, ns] of walk(node.items[k]!, tokens, p, s, readers)) yield* step(k + 1, np, ns);
      };
      yield* step(0, pos, slots);
    }
  }
}

/** All complete readings of the whole token list by the template (first = preferred). */
export function* matchTemplate(node: TemplateNode, tokens: readonly string[], readers: SlotReaders): Generator<SlotValues> {
  for (const [end, slots] of walk(node, tokens, 0, {}, readers)) if (end === tokens.length) yield slots;
}

/** Literal words a template uses (for dictionary checks). */
export function templateWords(node: TemplateNode, out = new Set<string>()): Set<string> {
  switch (node.t) {
    case 'word':
      out.add(node.w);
      break;
    case 'slot':
      break;
    case 'opt':
      templateWords(node.item, out);
      break;
    case 'alt':
      node.options.forEach((o) => templateWords(o, out));
      break;
    case 'seq':
      node.items.forEach((o) => templateWords(o, out));
      break;
  }
  return out;
}

/** Template -> JSGF rule expansion; slots become rule references <device> <room> <number> <mode>. */
export function toJsgf(node: TemplateNode): string {
  switch (node.t) {
    case 'word':
      return node.w;
    case 'slot':
      return `<${node.slot}>`;
    case 'opt':
      return `[ ${toJsgf(node.item)} ]`;
    case 'alt':
      return `( ${node.options.map(toJsgf).join(' | ')} )`;
    case 'seq':
      return node.items.map(toJsgf).join(' ');
  }
}

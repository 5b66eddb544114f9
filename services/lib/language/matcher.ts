import type { DeviceRegistry } from './deviceRegistry.js';
import { INTENT_TEMPLATES, MODE_WORDS } from './intents.js';
import type { BuildOutcome, ConversationContext, IntentResult, IntentTemplate, ResolvedSlots, SlotPrimitive } from './intentTypes.js';
import { normalize, roomKey } from './normalize.js';
import { parseNumber } from './numbers.js';
import { matchTemplate, parseTemplate } from './template.js';
import type { SlotReaders, SlotValues, TemplateNode } from './template.js';

/**
 * Text -> intent, device commands and a reply, from the sentence templates in intents.ts and the
 * devices in the registry. Pure and synchronous (no I/O): the ai service wraps it, tests call it.
 */

interface Compiled {
  def: IntentTemplate;
  node: TemplateNode;
}

let compiled: Compiled[] | undefined;
/** Templates parsed once per process. */
export function compiledTemplates(): Compiled[] {
  compiled ??= INTENT_TEMPLATES.map((def) => ({ def, node: parseTemplate(def.template) }));
  return compiled;
}

/** Pronouns that refer to the device of the previous command ("turn it off"). */
export const PRONOUNS = ['it', 'that'] as const;

function readers(registry: DeviceRegistry, context: ConversationContext): SlotReaders {
  return {
    device: (tokens, pos) => {
      const out: Array<{ value: string; next: number }> = [];
      for (const p of registry.phrases()) {
        if (p.tokens.every((w, i) => tokens[pos + i] === w)) out.push({ value: p.device_id, next: pos + p.tokens.length });
      }
      const w = tokens[pos];
      if (
        w !== undefined &&
        (PRONOUNS as readonly string[]).includes(w) &&
        context.last_device_id &&
        registry.get(context.last_device_id)
      ) {
        out.push({ value: context.last_device_id, next: pos + 1 });
      }
      return out;
    },
    room: (tokens, pos) =>
      registry
        .rooms()
        .filter((r) => r.every((w, i) => tokens[pos + i] === w))
        .map((r) => ({ value: r.join(' '), next: pos + r.length })),
    number: (tokens, pos) => parseNumber(tokens, pos),
    mode: (tokens, pos) => {
      const m = MODE_WORDS[tokens[pos] ?? ''];
      return m === undefined ? [] : [{ value: m, next: pos + 1 }];
    },
  };
}

function resolve(s: SlotValues, registry: DeviceRegistry): ResolvedSlots {
  const r: ResolvedSlots = {};
  if (typeof s.device === 'string') {
    const d = registry.get(s.device);
    if (d) r.device = d;
  }
  if (typeof s.room === 'string') r.room = s.room;
  if (typeof s.number === 'number') r.number = s.number;
  if (typeof s.mode === 'string') r.mode = s.mode;
  return r;
}

export interface MatchOptions {
  now?: Date;
}

/** Example commands for the "not understood" reply, drawn from the actual home. */
function examples(registry: DeviceRegistry): string {
  const light = registry.list().find((d) => d.kind === 'light');
  const first = light ? `"turn on the ${light.name}"` : '"what time is it"';
  return `You can say things like ${first} or "what is the temperature".`;
}

export function matchIntent(
  text: string,
  registry: DeviceRegistry,
  context: ConversationContext = {},
  opts: MatchOptions = {},
): IntentResult {
  const tokens = normalize(text);
  const env = { registry, context, now: opts.now ?? new Date() };
  const rd = readers(registry, context);
  let refusal: { intent: string; reason: string; slots: Record<string, SlotPrimitive> } | undefined;
  if (tokens.length > 0) {
    for (const { def, node } of compiledTemplates()) {
      for (const raw of matchTemplate(node, tokens, rd)) {
        const slots = resolve(raw, registry);
        const out: BuildOutcome = def.build(slots, env);
        if (!out.ok) {
          refusal ??= { intent: def.intent, reason: out.reason, slots: rawSlots(raw) };
          continue;
        }
        const device = out.device;
        const nextContext: ConversationContext = { ...context, last_intent: out.name };
        if (device) {
          nextContext.last_device_id = device.device_id;
          nextContext.last_room = roomKey(device.room);
        }
        if (out.room !== undefined) nextContext.last_room = out.room;
        return {
          understood: true,
          intent: { name: out.name, slots: { ...(device ? { device: device.device_id } : {}), ...rawSlots(raw), ...(out.slots ?? {}) } },
          commands: out.commands,
          response_text: out.response,
          ...(out.query ? { query: out.query } : {}),
          context: nextContext,
        };
      }
    }
  }
  if (refusal) {
    // The sentence has a known shape but asks something the device cannot do: understood as a
    // sentence, refused as a command (no commands, a reply that says why).
    return {
      understood: false,
      intent: { name: refusal.intent, slots: refusal.slots },
      commands: [],
      response_text: refusal.reason,
      context,
    };
  }
  const said = tokens.join(' ');
  return {
    understood: false,
    intent: { name: 'unknown', slots: {} },
    commands: [],
    response_text: said === '' ? 'I did not hear a command.' : `Sorry, I did not understand "${said}". ${examples(registry)}`,
    context,
  };
}

function rawSlots(s: SlotValues): Record<string, SlotPrimitive> {
  const out: Record<string, SlotPrimitive> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined) out[k] = v;
  return out;
}

import { z } from 'zod';
import { ACTIONS, checkAction } from '../lib/language/actions.js';
import type { DeviceRegistry } from '../lib/language/deviceRegistry.js';
import type { ConversationContext, DeviceCommand, IntentResult } from '../lib/language/intentTypes.js';
import type { ChatMessage } from './llmClient.js';

/**
 * The LLM fallback's prompt and the validation of its answer. The model only proposes: every
 * command must name a known device and an action that device can do, with parameters in range
 * (language/actions.ts), or the whole answer is discarded. Issue 3: a wrong device action is the
 * worst outcome, and a language model is the component most likely to invent one.
 */

const MAX_COMMANDS = 8;

export function llmMessages(text: string, registry: DeviceRegistry, context: ConversationContext): ChatMessage[] {
  const devices = registry
    .list()
    .sort((a, b) => a.device_id.localeCompare(b.device_id))
    .map((d) => ({
      device_id: d.device_id,
      name: d.name,
      kind: d.kind,
      room: d.room,
      aliases: d.aliases,
      actions: Object.entries(ACTIONS)
        .filter(([, s]) => s.kinds.includes(d.kind) && (!s.trait || d.traits.includes(s.trait)))
        .map(([a, s]) => (s.param ? `${a}(${s.param.name})` : a)),
    }));
  const system = [
    'You turn one spoken smart-home sentence into device commands. Answer with one JSON object only, no prose:',
    '{"understood": true|false, "commands": [{"device_id": "...", "action": "...", "params": {...}}], "response_text": "short reply to speak"}',
    'Use only these devices and their listed actions; parameters: brightness and volume 0-100, target 5-35 (degrees C), mode heat|cool|off.',
    'If the sentence is not a command for these devices, or you are unsure which device is meant, answer {"understood": false, "commands": [], "response_text": ""}.',
    `Devices: ${JSON.stringify(devices)}`,
    context.last_device_id ? `The previous command was about device ${context.last_device_id} ("it" may refer to it).` : '',
  ]
    .filter((l) => l !== '')
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: text },
  ];
}

const answerSchema = z.object({
  understood: z.boolean(),
  commands: z
    .array(z.object({ device_id: z.string().max(64), action: z.string().max(64), params: z.record(z.string(), z.unknown()).optional() }))
    .max(MAX_COMMANDS)
    .default([]),
  response_text: z.string().max(400).default(''),
});

export type LlmVerdict = { ok: true; result: IntentResult } | { ok: false; reason: string };

/** Parse and validate the model's content against the registry. */
export function validateLlmAnswer(content: string, registry: DeviceRegistry, context: ConversationContext): LlmVerdict {
  // Some models wrap JSON in a markdown fence despite JSON mode.
  const stripped = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(stripped);
  } catch {
    return { ok: false, reason: 'answer is not JSON' };
  }
  const parsed = answerSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'answer does not have the expected shape' };
  const a = parsed.data;
  if (!a.understood || a.commands.length === 0) return { ok: false, reason: 'the model did not understand the sentence' };
  const commands: DeviceCommand[] = [];
  for (const c of a.commands) {
    const d = registry.get(c.device_id);
    if (!d) return { ok: false, reason: `unknown device ${JSON.stringify(c.device_id)}` };
    const check = checkAction(d, c.action, c.params ?? {});
    if (!check.ok) return { ok: false, reason: `${c.device_id}: ${check.reason}` };
    commands.push({ device_id: d.device_id, action: c.action, params: check.params });
  }
  const first = commands[0]!;
  const device = registry.get(first.device_id)!;
  const response = a.response_text.replace(/[{}]/g, '').trim() || 'Okay.';
  return {
    ok: true,
    result: {
      understood: true,
      intent: { name: commands.length === 1 ? first.action : 'multiple', slots: { device: first.device_id, source: 'llm' } },
      commands,
      response_text: response,
      context: { ...context, last_device_id: device.device_id, last_intent: first.action, last_room: device.room.toLowerCase() },
    },
  };
}

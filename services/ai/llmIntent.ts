import { z } from 'zod';
import type { DeviceInfo, DeviceRegistry } from '../lib/language/deviceRegistry.js';
import type { ConversationContext, IntentResult } from '../lib/language/intentTypes.js';
import { DEFAULT_THERMOSTAT_LIMITS, PERCENT, canDo, parseDeviceAction, requiredParams } from '../lib/protocol/deviceActions.js';
import type { DeviceActionName, DeviceCommand } from '../lib/protocol/deviceActions.js';
import { isAliciaError } from '../lib/protocol/errors.js';
import type { ChatMessage } from './llmClient.js';

/**
 * The LLM fallback's prompt and the validation of its answer. The model only proposes: every
 * command must name a known device and an action that device can do, with parameters that pass
 * the action union (services/lib/protocol/deviceActions.ts), or the whole answer is discarded. A
 * wrong device action is the worst outcome (worse than not understanding), and a language model is
 * the component most likely to invent one.
 */

const MAX_COMMANDS = 8;

/**
 * The actions the prompt offers a model, in the order it lists them: the everyday ones the fallback
 * was built for. An answer using any other (toggle, get_state, the brightness and temperature
 * steps) is refused, never sent.
 */
const LLM_ACTIONS = [
  'turn_on',
  'turn_off',
  'set_brightness',
  'set_temperature',
  'set_mode',
  'lock',
  'unlock',
  'set_volume',
  'volume_up',
  'volume_down',
  'play',
  'pause',
] as const satisfies readonly DeviceActionName[];

/** A proposed command, checked against the device: the canonical command, or why it is refused. */
export function checkLlmCommand(
  d: DeviceInfo,
  action: string,
  params: Record<string, unknown>,
): { ok: true; command: DeviceCommand } | { ok: false; reason: string } {
  if (!(LLM_ACTIONS as readonly string[]).includes(action)) return { ok: false, reason: `unknown action ${JSON.stringify(action)}` };
  if (!canDo(d, action)) return { ok: false, reason: `${d.name} (a ${d.kind}) cannot ${action}` };
  try {
    // The status does not carry a thermostat's own range: the default one here, the device manager checks the real one.
    return { ok: true, command: { device_id: d.device_id, ...parseDeviceAction(action, params) } };
  } catch (e) {
    return { ok: false, reason: isAliciaError(e) ? e.message : String(e) };
  }
}

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
      actions: LLM_ACTIONS.filter((a) => canDo(d, a)).map((a) => {
        const p = requiredParams(a);
        return p.length > 0 ? `${a}(${p.join(', ')})` : a;
      }),
    }));
  const t = DEFAULT_THERMOSTAT_LIMITS;
  const system = [
    'You turn one spoken smart-home sentence into device commands. Answer with one JSON object only, no prose:',
    '{"understood": true|false, "commands": [{"device_id": "...", "action": "...", "params": {...}}], "response_text": "short reply to speak"}',
    `Use only these devices and their listed actions; parameters: brightness and volume ${PERCENT.min}-${PERCENT.max}, target ${t.min_temp}-${t.max_temp} (degrees C), mode ${t.modes.join('|')}.`,
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
    const check = checkLlmCommand(d, c.action, c.params ?? {});
    if (!check.ok) return { ok: false, reason: `${c.device_id}: ${check.reason}` };
    commands.push(check.command);
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

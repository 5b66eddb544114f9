import type { DeviceInfo } from './deviceRegistry.js';

/**
 * The device manager's action vocabulary, as the language layer may produce it, with the parameter
 * each action needs and its valid range. Used to validate intents that do not come from our own
 * templates (the optional LLM fallback): anything outside this table is rejected, never sent.
 * Mirrors services/device-manager/deviceModels.ts (actionsOf / applyAction) without importing it:
 * services only share services/lib/protocol and libraries.
 */
export interface ActionSpec {
  kinds: readonly string[];
  /** trait the device must have (dimmable lights) */
  trait?: string;
  param?: { name: string; min: number; max: number; integer?: boolean } | { name: string; oneOf: readonly string[] };
}

export const ACTIONS: Readonly<Record<string, ActionSpec>> = {
  turn_on: { kinds: ['light', 'switch', 'thermostat', 'climate', 'speaker'] },
  turn_off: { kinds: ['light', 'switch', 'thermostat', 'climate', 'speaker'] },
  set_brightness: { kinds: ['light', 'switch'], trait: 'brightness', param: { name: 'brightness', min: 0, max: 100, integer: true } },
  set_temperature: { kinds: ['thermostat', 'climate'], param: { name: 'target', min: 5, max: 35 } },
  set_mode: { kinds: ['thermostat', 'climate'], param: { name: 'mode', oneOf: ['heat', 'cool', 'off'] } },
  lock: { kinds: ['lock'] },
  unlock: { kinds: ['lock'] },
  set_volume: { kinds: ['speaker'], param: { name: 'volume', min: 0, max: 100, integer: true } },
  volume_up: { kinds: ['speaker'] },
  volume_down: { kinds: ['speaker'] },
  play: { kinds: ['speaker'] },
  pause: { kinds: ['speaker'] },
};

/** Check one command against a device; returns the clean params or a reason it is refused. */
export function checkAction(
  device: DeviceInfo,
  action: string,
  params: Record<string, unknown>,
): { ok: true; params: Record<string, unknown> } | { ok: false; reason: string } {
  const spec = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!spec) return { ok: false, reason: `unknown action ${JSON.stringify(action)}` };
  if (!spec.kinds.includes(device.kind)) return { ok: false, reason: `a ${device.kind} cannot ${action}` };
  if (spec.trait && !device.traits.includes(spec.trait)) return { ok: false, reason: `${device.name} has no ${spec.trait}` };
  if (!spec.param) return { ok: true, params: {} };
  const v = params[spec.param.name];
  if ('oneOf' in spec.param) {
    if (typeof v !== 'string' || !spec.param.oneOf.includes(v))
      return { ok: false, reason: `${spec.param.name} must be one of ${spec.param.oneOf.join(', ')}` };
    return { ok: true, params: { [spec.param.name]: v } };
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < spec.param.min ||
    n > spec.param.max ||
    (spec.param.integer && !Number.isInteger(n))
  ) {
    return { ok: false, reason: `${spec.param.name} must be a number from ${spec.param.min} to ${spec.param.max}` };
  }
  return { ok: true, params: { [spec.param.name]: n } };
}

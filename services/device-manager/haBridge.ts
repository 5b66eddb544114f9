import { TRAITS } from '../lib/protocol/device.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { actionFor, applyParsed } from './deviceModels.js';
import type { ModelDevice } from './deviceModels.js';
import type { DeviceState } from './deviceTypes.js';
import type { HaEntity } from './haEntity.js';
import { compileTemplate, renderCommandTemplate, textOf } from './haTemplate.js';

/**
 * Translation between our device actions/state and an adopted Home Assistant entity's MQTT topics.
 * Pure: the device manager does the publishing. Payload conventions are HA's
 * (light.mqtt default and json schemas, switch.mqtt, lock.mqtt, climate.mqtt, sensor.mqtt).
 */

export interface OutMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface CommandPlan {
  /** published in order */
  messages: OutMessage[];
  /** the state the device should reach (our model applied to the current state) */
  predicted: DeviceState;
  /** a message on one of these topics confirms the command; empty = optimistic (no state topic) */
  confirmTopics: string[];
}

export function modelOf(e: HaEntity): ModelDevice {
  return { kind: e.kind, traits: e.traits, limits: { min_temp: e.min_temp, max_temp: e.max_temp, temp_step: e.temp_step, modes: e.modes } };
}

/** Plan the messages for an action. Throws DEVICE_BAD_ACTION / DEVICE_BAD_PARAMS like the models do. */
export function planCommand(e: HaEntity, action: string, params: Record<string, unknown>, state: DeviceState): CommandPlan {
  const model = modelOf(e);
  const a = actionFor(model, action, params);
  const predicted = applyParsed(model, a, state);
  if (a.action === 'get_state') return { messages: [], predicted, confirmTopics: [] };
  const out = (topic: string, payload: string): OutMessage => ({ topic, payload, qos: e.qos, retain: e.retain });
  const confirm = (...topics: (string | undefined)[]) => (e.optimistic ? [] : topics.filter((t): t is string => typeof t === 'string'));

  switch (e.kind) {
    case 'light': {
      const cmd = e.command_topic;
      if (!cmd) throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} has no command topic`);
      const on = predicted.on === true;
      const leveled =
        a.action === 'set_brightness' ||
        a.action === 'brightness_up' ||
        a.action === 'brightness_down' ||
        (a.action === 'turn_on' && a.params.brightness !== undefined);
      const withBrightness = on && e.traits.includes(TRAITS.brightness) && leveled;
      const level = typeof predicted.brightness === 'number' ? predicted.brightness : 100;
      const scaled = Math.max(1, Math.round((level * e.brightness_scale) / 100));
      if (e.schema === 'json') {
        // light.mqtt JSON schema: one JSON command {"state":"ON","brightness":N} on command_topic.
        const body: Record<string, unknown> = { state: on ? 'ON' : 'OFF' };
        if (withBrightness) body.brightness = scaled;
        return { messages: [out(cmd, JSON.stringify(body))], predicted, confirmTopics: confirm(e.state_topic) };
      }
      if (!on) return { messages: [out(cmd, e.payload_off)], predicted, confirmTopics: confirm(e.state_topic) };
      const msgs: OutMessage[] = [];
      const bri = e.brightness_command_topic
        ? out(e.brightness_command_topic, renderCommandTemplate(e.brightness_command_template, scaled))
        : undefined;
      // on_command_type (light.mqtt default schema): "last" = brightness then ON, "first" = ON then
      // brightness, "brightness" = only the brightness message turns the light on.
      if (e.on_command_type === 'brightness' && bri) msgs.push(bri);
      else if (withBrightness && bri && e.on_command_type === 'last') msgs.push(bri, out(cmd, e.payload_on));
      else if (withBrightness && bri) msgs.push(out(cmd, e.payload_on), bri);
      else msgs.push(out(cmd, e.payload_on));
      return { messages: msgs, predicted, confirmTopics: confirm(e.state_topic, withBrightness ? e.brightness_state_topic : undefined) };
    }
    case 'switch': {
      if (!e.command_topic) throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} has no command topic`);
      return {
        messages: [out(e.command_topic, predicted.on === true ? e.payload_on : e.payload_off)],
        predicted,
        confirmTopics: confirm(e.state_topic),
      };
    }
    case 'lock': {
      if (!e.command_topic) throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} has no command topic`);
      const p = predicted.locked === true ? e.payload_lock : e.payload_unlock;
      return {
        messages: [out(e.command_topic, renderCommandTemplate(e.command_template, p))],
        predicted,
        confirmTopics: confirm(e.state_topic),
      };
    }
    case 'climate':
    case 'thermostat': {
      if (a.action === 'set_temperature' || a.action === 'temperature_up' || a.action === 'temperature_down') {
        if (!e.temperature_command_topic) throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} does not accept a target temperature`);
        const t = predicted.target as number;
        return {
          messages: [out(e.temperature_command_topic, renderCommandTemplate(e.temperature_command_template, t))],
          predicted,
          confirmTopics: confirm(e.temperature_state_topic),
        };
      }
      if (!e.mode_command_topic) throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} does not accept a mode`);
      return {
        messages: [out(e.mode_command_topic, renderCommandTemplate(e.mode_command_template, String(predicted.mode)))],
        predicted,
        confirmTopics: confirm(e.mode_state_topic),
      };
    }
    default:
      throw new AliciaError('DEVICE_BAD_ACTION', `${e.name} cannot ${a.action}`);
  }
}

function valueOf(template: string | undefined, payload: string): unknown {
  if (template === undefined) return payload;
  const t = compileTemplate(template);
  return t ? t.render(payload) : undefined;
}

function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A message arrived on one of the entity's state topics: the new state, or undefined when the
 * payload means nothing to us (unknown state word, unparseable JSON). One topic may play several
 * roles (Zigbee2MQTT sends everything on one JSON topic with templates), so every role is checked.
 */
export function reflectState(e: HaEntity, topic: string, payload: string, state: DeviceState): DeviceState | undefined {
  const next: DeviceState = { ...state };
  let changed = false;
  const set = (k: string, v: unknown) => {
    next[k] = v;
    changed = true;
  };
  if (topic === e.state_topic) {
    switch (e.kind) {
      case 'light':
        if (e.schema === 'json') {
          let obj: unknown;
          try {
            obj = JSON.parse(payload);
          } catch {
            return undefined;
          }
          if (!obj || typeof obj !== 'object') return undefined;
          const o = obj as Record<string, unknown>;
          if (o.state === 'ON' || o.state === 'OFF') set('on', o.state === 'ON');
          const b = numberOf(o.brightness);
          if (b !== undefined && e.traits.includes('brightness')) set('brightness', Math.round((b * 100) / e.brightness_scale));
        } else {
          const v = textOf(valueOf(e.value_template, payload));
          if (v === e.state_on) set('on', true);
          else if (v === e.state_off) set('on', false);
        }
        break;
      case 'switch': {
        const v = textOf(valueOf(e.value_template, payload));
        if (v === e.state_on) set('on', true);
        else if (v === e.state_off) set('on', false);
        break;
      }
      case 'lock': {
        const v = textOf(valueOf(e.value_template, payload));
        if (v === e.state_locked) set('locked', true);
        else if (v === e.state_unlocked) set('locked', false);
        break;
      }
      case 'sensor': {
        const v = valueOf(e.value_template, payload);
        const key = e.state_key ?? 'value';
        if (e.component === 'binary_sensor') {
          const s = textOf(v);
          if (s === e.payload_on) set(key, true);
          else if (s === e.payload_off) set(key, false);
        } else if (v !== undefined && v !== null && v !== '') {
          set(key, numberOf(v) ?? v);
        }
        break;
      }
      default:
        break;
    }
  }
  if (topic === e.brightness_state_topic && e.traits.includes('brightness')) {
    const b = numberOf(valueOf(e.brightness_value_template, payload));
    if (b !== undefined) set('brightness', Math.round((b * 100) / e.brightness_scale));
  }
  if (topic === e.temperature_state_topic) {
    const t = numberOf(valueOf(e.temperature_state_template, payload));
    if (t !== undefined) set('target', t);
  }
  if (topic === e.mode_state_topic) {
    const m = valueOf(e.mode_state_template, payload);
    if (typeof m === 'string' && m !== '') set('mode', m);
  }
  if (topic === e.current_temperature_topic) {
    const t = numberOf(valueOf(e.current_temperature_template, payload));
    if (t !== undefined) set('current', t);
  }
  return changed ? next : undefined;
}

/** A message on an availability topic: true/false, or undefined when it is neither payload. */
export function availabilityOf(e: HaEntity, topic: string, payload: string): boolean | undefined {
  for (const a of e.availability) {
    if (a.topic !== topic) continue;
    const v = textOf(valueOf(a.value_template, payload));
    if (v === a.payload_available) return true;
    if (v === a.payload_not_available) return false;
  }
  return undefined;
}

/**
 * Online per HA's availability_mode: without availability topics a device is always online; "all"
 * needs every topic available, "any" one of them, "latest" (the default) the last message received.
 * Until a first availability message arrives the entity is unavailable, as in HA.
 */
export function onlineOf(e: HaEntity, seen: ReadonlyMap<string, boolean>, latest: boolean | undefined): boolean {
  if (e.availability.length === 0) return true;
  if (e.availability_mode === 'all') return e.availability.every((a) => seen.get(a.topic) === true);
  if (e.availability_mode === 'any') return e.availability.some((a) => seen.get(a.topic) === true);
  return latest === true;
}

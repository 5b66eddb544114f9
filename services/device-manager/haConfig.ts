import { TRAITS } from '../lib/protocol/device.js';
import { parseDiscoveryTopic, expandConfig } from '../lib/protocol/haDiscovery.js';
import { HA_DISCOVERY_PREFIX } from '../lib/protocol/topics.js';
import { rawConfigSchema } from './haConfigSchema.js';
import type { RawConfig } from './haConfigSchema.js';
import { HA_COMPONENTS } from './haEntity.js';
import type { HaAvailability, HaComponent, HaEntity } from './haEntity.js';
import { compileTemplate } from './haTemplate.js';

/**
 * Home Assistant MQTT discovery configs -> the normalized entity the device manager adopts
 * (HA core homeassistant/components/mqtt: the defaults below are those of light.mqtt, switch.mqtt,
 * lock.mqtt, climate.mqtt, sensor.mqtt and binary_sensor.mqtt).
 */

export type ParseResult = { ok: true; entity: HaEntity } | { ok: false; reason: string };

/**
 * Parse one discovery config message. Never throws: a bad config is `{ok:false, reason}` for the
 * caller to log and ignore (one misconfigured device must not take the device manager down).
 */
export function parseHaConfig(discoveryTopic: string, payload: Record<string, unknown>, prefix = HA_DISCOVERY_PREFIX): ParseResult {
  const parts = parseDiscoveryTopic(discoveryTopic, prefix);
  if (!parts) return { ok: false, reason: `not a discovery topic: ${discoveryTopic}` };
  if (!(HA_COMPONENTS as readonly string[]).includes(parts.component)) {
    return { ok: false, reason: `component ${parts.component} is not supported (supported: ${HA_COMPONENTS.join(', ')})` };
  }
  const component = parts.component as HaComponent;
  const r = rawConfigSchema.safeParse(expandConfig(payload));
  if (!r.success) {
    const i = r.error.issues[0];
    return { ok: false, reason: `invalid ${component} config: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid'}` };
  }
  const c = r.data;
  const schema: 'json' | 'default' | undefined = c.schema === 'json' ? 'json' : c.schema === 'template' ? undefined : 'default';
  if (component === 'light' && schema === undefined) return { ok: false, reason: 'light schema "template" is not supported' };

  const name = (c.name ?? undefined) || c.device?.name || humanize(parts.object_id);
  const availability: HaAvailability[] = c.availability
    ? c.availability.map((a) => ({
        topic: a.topic,
        payload_available: a.payload_available,
        payload_not_available: a.payload_not_available,
        ...(a.value_template !== undefined ? { value_template: a.value_template } : {}),
      }))
    : c.availability_topic
      ? [
          {
            topic: c.availability_topic,
            payload_available: c.payload_available ?? 'online',
            payload_not_available: c.payload_not_available ?? 'offline',
            ...(c.availability_template !== undefined ? { value_template: c.availability_template } : {}),
          },
        ]
      : [];

  const payloadOn = c.payload_on ?? (component === 'binary_sensor' ? 'ON' : 'ON');
  const payloadOff = c.payload_off ?? 'OFF';
  const base = {
    discovery_topic: discoveryTopic,
    component,
    ...(parts.node_id ? { node_id: parts.node_id } : {}),
    object_id: c.object_id ?? parts.object_id,
    ...(c.unique_id ? { unique_id: c.unique_id } : {}),
    name,
    room: c.device?.suggested_area ?? '',
    schema: schema ?? 'default',
    payload_on: payloadOn,
    payload_off: payloadOff,
    state_on: c.state_on ?? payloadOn,
    state_off: c.state_off ?? payloadOff,
    brightness_scale: c.brightness_scale ?? 255,
    on_command_type: c.on_command_type ?? 'last',
    payload_lock: c.payload_lock ?? 'LOCK',
    payload_unlock: c.payload_unlock ?? 'UNLOCK',
    state_locked: c.state_locked ?? 'LOCKED',
    state_unlocked: c.state_unlocked ?? 'UNLOCKED',
    // HA climate defaults (climate.mqtt): modes auto/off/cool/heat/dry/fan_only, 7-35 °C.
    modes: c.modes ?? ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only'],
    min_temp: c.min_temp ?? 7,
    max_temp: c.max_temp ?? 35,
    temp_step: c.temp_step ?? (c.temperature_unit === 'F' ? 1 : 0.5),
    availability,
    availability_mode: c.availability_mode ?? 'latest',
    optimistic: c.optimistic ?? false,
    qos: c.qos === 0 || c.qos === undefined ? (0 as const) : (1 as const),
    retain: c.retain ?? false,
    unsupported_templates: [] as string[],
  };
  const copy = <K extends keyof RawConfig>(...keys: K[]) => {
    const o: Partial<Record<K, RawConfig[K]>> = {};
    for (const k of keys) if (c[k] !== undefined && c[k] !== null) o[k] = c[k];
    return o;
  };

  let entity: HaEntity;
  switch (component) {
    case 'light': {
      if (!c.command_topic) return { ok: false, reason: 'light config has no command_topic' };
      const dimmable =
        schema === 'json'
          ? c.brightness === true || (c.supported_color_modes ?? []).some((m) => m !== 'onoff')
          : c.brightness_command_topic !== undefined;
      entity = {
        ...base,
        kind: 'light',
        traits: dimmable ? [TRAITS.onOff, TRAITS.brightness] : [TRAITS.onOff],
        ...copy(
          'command_topic',
          'state_topic',
          'brightness_command_topic',
          'brightness_command_template',
          'brightness_state_topic',
          'brightness_value_template',
        ),
        ...(c.state_value_template !== undefined ? { value_template: c.state_value_template } : {}),
      };
      break;
    }
    case 'switch':
      if (!c.command_topic) return { ok: false, reason: 'switch config has no command_topic' };
      entity = { ...base, kind: 'switch', traits: [TRAITS.onOff], ...copy('command_topic', 'state_topic', 'value_template') };
      break;
    case 'lock':
      if (!c.command_topic) return { ok: false, reason: 'lock config has no command_topic' };
      entity = {
        ...base,
        kind: 'lock',
        traits: [TRAITS.lock],
        ...copy('command_topic', 'command_template', 'state_topic', 'value_template'),
      };
      break;
    case 'sensor':
    case 'binary_sensor': {
      if (!c.state_topic) return { ok: false, reason: `${component} config has no state_topic` };
      const dc = c.device_class ?? undefined;
      const key =
        component === 'binary_sensor'
          ? dc === 'motion' || dc === 'occupancy' || dc === 'presence'
            ? 'motion'
            : (dc ?? 'on')
          : (dc ?? 'value');
      entity = {
        ...base,
        kind: 'sensor',
        traits: [key],
        state_key: key,
        ...copy('state_topic', 'value_template'),
        ...(dc ? { device_class: dc } : {}),
        ...(c.unit_of_measurement ? { unit_of_measurement: c.unit_of_measurement } : {}),
      };
      break;
    }
    case 'climate': {
      const any = c.temperature_command_topic ?? c.mode_command_topic ?? c.temperature_state_topic ?? c.current_temperature_topic;
      if (!any) return { ok: false, reason: 'climate config has no temperature or mode topics' };
      const traits: string[] = [];
      if (c.temperature_command_topic || c.temperature_state_topic) traits.push(TRAITS.setpoint);
      if (c.mode_command_topic || c.mode_state_topic) traits.push(TRAITS.hvacMode);
      if (c.current_temperature_topic) traits.push(TRAITS.currentTemperature);
      entity = {
        ...base,
        kind: 'climate',
        traits,
        ...copy(
          'temperature_command_topic',
          'temperature_command_template',
          'temperature_state_topic',
          'temperature_state_template',
          'mode_command_topic',
          'mode_command_template',
          'mode_state_topic',
          'mode_state_template',
          'current_temperature_topic',
          'current_temperature_template',
        ),
      };
      break;
    }
  }
  for (const t of [
    entity.value_template,
    entity.brightness_value_template,
    entity.temperature_state_template,
    entity.mode_state_template,
    entity.current_temperature_template,
    ...entity.availability.map((a) => a.value_template),
  ]) {
    if (t !== undefined && !compileTemplate(t)) entity.unsupported_templates.push(t);
  }
  return { ok: true, entity };
}

function humanize(objectId: string): string {
  return objectId.replace(/[_-]+/g, ' ').trim() || objectId;
}

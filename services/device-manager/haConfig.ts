import { z } from 'zod';
import { HA_DISCOVERY_PREFIX } from '../lib/protocol/topics.js';
import { TRAITS } from './deviceModels.js';
import type { DeviceKind } from './deviceTypes.js';
import { compileTemplate } from './haTemplate.js';

/**
 * Home Assistant MQTT discovery configs -> the normalized entity the device manager adopts.
 * Reference: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and HA core
 * homeassistant/components/mqtt/{discovery.py,abbreviations.py}: abbreviations are expanded first,
 * then `~` is replaced in every key ending in "topic" (leading or trailing `~`) and in availability[].topic.
 */

export const HA_COMPONENTS = ['light', 'switch', 'sensor', 'binary_sensor', 'lock', 'climate'] as const;
export type HaComponent = (typeof HA_COMPONENTS)[number];

/** The subset of HA's ABBREVIATIONS (abbreviations.py) for the keys this adapter reads. */
const ABBREVIATIONS: Record<string, string> = {
  avty: 'availability',
  avty_mode: 'availability_mode',
  avty_t: 'availability_topic',
  avty_tpl: 'availability_template',
  bri_cmd_t: 'brightness_command_topic',
  bri_cmd_tpl: 'brightness_command_template',
  bri_scl: 'brightness_scale',
  bri_stat_t: 'brightness_state_topic',
  bri_val_tpl: 'brightness_value_template',
  cmd_t: 'command_topic',
  cmd_tpl: 'command_template',
  curr_temp_t: 'current_temperature_topic',
  curr_temp_tpl: 'current_temperature_template',
  dev: 'device',
  dev_cla: 'device_class',
  json_attr_t: 'json_attributes_topic',
  max_temp: 'max_temp',
  min_temp: 'min_temp',
  mode_cmd_t: 'mode_command_topic',
  mode_cmd_tpl: 'mode_command_template',
  mode_stat_t: 'mode_state_topic',
  mode_stat_tpl: 'mode_state_template',
  obj_id: 'object_id',
  on_cmd_type: 'on_command_type',
  opt: 'optimistic',
  pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available',
  pl_lock: 'payload_lock',
  pl_unlk: 'payload_unlock',
  pl_off: 'payload_off',
  pl_on: 'payload_on',
  pow_cmd_t: 'power_command_topic',
  ret: 'retain',
  stat_locked: 'state_locked',
  stat_unlocked: 'state_unlocked',
  stat_off: 'state_off',
  stat_on: 'state_on',
  stat_t: 'state_topic',
  stat_val_tpl: 'state_value_template',
  sup_clrm: 'supported_color_modes',
  t: 'topic',
  temp_cmd_t: 'temperature_command_topic',
  temp_cmd_tpl: 'temperature_command_template',
  temp_stat_t: 'temperature_state_topic',
  temp_stat_tpl: 'temperature_state_template',
  temp_step: 'temp_step',
  temp_unit: 'temperature_unit',
  uniq_id: 'unique_id',
  unit_of_meas: 'unit_of_measurement',
  val_tpl: 'value_template',
};
const DEVICE_ABBREVIATIONS: Record<string, string> = {
  ids: 'identifiers',
  mf: 'manufacturer',
  mdl: 'model',
  sw: 'sw_version',
  sa: 'suggested_area',
  name: 'name',
};

/** Topics we subscribe: any valid MQTT topic name except our own namespace and the broker's. */
const stateTopic = z
  .string()
  .min(1)
  .max(512)
  // MQTT 3.1.1 section 4.7.3: topic names carry no wildcards and no NUL
  .refine((t) => !t.includes('+') && !t.includes('#') && !t.includes(String.fromCharCode(0)), 'must be a topic name, not a filter')
  .refine((t) => !t.startsWith('alicia/') && !t.startsWith('$'), 'must not be an alicia/ or $ topic');
/**
 * Topics we publish to: the broker lets the device manager publish only outside alicia/, $SYS and
 * homeassistant/ (services.ts EXTERNAL), and a denied publish disconnects the client (MQTT 3.1.1 has
 * no negative PUBACK), so such a config is refused here instead.
 */
const commandTopic = stateTopic.refine((t) => !t.startsWith(`${HA_DISCOVERY_PREFIX}/`), `must not be under ${HA_DISCOVERY_PREFIX}/`);

const payloadScalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const template = z.string().max(1000);

const availabilityItem = z.looseObject({
  topic: stateTopic,
  payload_available: payloadScalar.default('online'),
  payload_not_available: payloadScalar.default('offline'),
  value_template: template.optional(),
});

/** The raw config after abbreviation and `~` expansion; loose: HA has many more keys we ignore. */
const rawConfigSchema = z.looseObject({
  name: z.string().max(200).nullable().optional(),
  unique_id: z.string().max(200).optional(),
  object_id: z.string().max(200).optional(),
  device: z
    .looseObject({
      name: z.string().max(200).optional(),
      identifiers: z.union([z.string(), z.array(z.string())]).optional(),
      manufacturer: z.string().optional(),
      model: z.string().optional(),
      suggested_area: z.string().max(80).optional(),
    })
    .optional(),
  schema: z.enum(['default', 'basic', 'json', 'template']).optional(),
  command_topic: commandTopic.optional(),
  command_template: template.optional(),
  state_topic: stateTopic.optional(),
  state_value_template: template.optional(),
  value_template: template.optional(),
  payload_on: payloadScalar.optional(),
  payload_off: payloadScalar.optional(),
  state_on: payloadScalar.optional(),
  state_off: payloadScalar.optional(),
  brightness: z.boolean().optional(),
  supported_color_modes: z.array(z.string()).optional(),
  brightness_command_topic: commandTopic.optional(),
  brightness_command_template: template.optional(),
  brightness_state_topic: stateTopic.optional(),
  brightness_value_template: template.optional(),
  brightness_scale: z.number().int().min(1).max(100000).optional(),
  on_command_type: z.enum(['last', 'first', 'brightness']).optional(),
  payload_lock: payloadScalar.optional(),
  payload_unlock: payloadScalar.optional(),
  state_locked: payloadScalar.optional(),
  state_unlocked: payloadScalar.optional(),
  temperature_command_topic: commandTopic.optional(),
  temperature_command_template: template.optional(),
  temperature_state_topic: stateTopic.optional(),
  temperature_state_template: template.optional(),
  mode_command_topic: commandTopic.optional(),
  mode_command_template: template.optional(),
  mode_state_topic: stateTopic.optional(),
  mode_state_template: template.optional(),
  current_temperature_topic: stateTopic.optional(),
  current_temperature_template: template.optional(),
  modes: z.array(z.string().min(1).max(40)).max(20).optional(),
  min_temp: z.number().optional(),
  max_temp: z.number().optional(),
  temp_step: z.number().positive().optional(),
  temperature_unit: z.enum(['C', 'F']).optional(),
  device_class: z.string().max(60).nullable().optional(),
  unit_of_measurement: z.string().max(30).nullable().optional(),
  availability_topic: stateTopic.optional(),
  availability_template: template.optional(),
  payload_available: payloadScalar.optional(),
  payload_not_available: payloadScalar.optional(),
  availability: z.array(availabilityItem).max(10).optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  optimistic: z.boolean().optional(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  retain: z.boolean().optional(),
});
type RawConfig = z.infer<typeof rawConfigSchema>;

export interface HaAvailability {
  topic: string;
  payload_available: string;
  payload_not_available: string;
  value_template?: string;
}

/** The normalized, JSON-serializable entity, stored as the adopted device's config. */
export interface HaEntity {
  discovery_topic: string;
  component: HaComponent;
  node_id?: string;
  object_id: string;
  unique_id?: string;
  name: string;
  room: string;
  kind: DeviceKind;
  traits: string[];
  schema: 'default' | 'json';
  command_topic?: string;
  command_template?: string;
  state_topic?: string;
  /** state_value_template (light) or value_template (others) */
  value_template?: string;
  payload_on: string;
  payload_off: string;
  state_on: string;
  state_off: string;
  brightness_command_topic?: string;
  brightness_command_template?: string;
  brightness_state_topic?: string;
  brightness_value_template?: string;
  brightness_scale: number;
  on_command_type: 'last' | 'first' | 'brightness';
  payload_lock: string;
  payload_unlock: string;
  state_locked: string;
  state_unlocked: string;
  temperature_command_topic?: string;
  temperature_command_template?: string;
  temperature_state_topic?: string;
  temperature_state_template?: string;
  mode_command_topic?: string;
  mode_command_template?: string;
  mode_state_topic?: string;
  mode_state_template?: string;
  current_temperature_topic?: string;
  current_temperature_template?: string;
  modes: string[];
  min_temp: number;
  max_temp: number;
  temp_step: number;
  device_class?: string;
  unit_of_measurement?: string;
  /** the key of the reading in `state` for sensors (temperature, humidity, motion, value ...) */
  state_key?: string;
  availability: HaAvailability[];
  availability_mode: 'all' | 'any' | 'latest';
  optimistic: boolean;
  qos: 0 | 1;
  retain: boolean;
  /** templates we cannot evaluate: the entity still works, that part of its state is not reflected */
  unsupported_templates: string[];
}

export interface DiscoveryTopicParts {
  component: string;
  node_id?: string;
  object_id: string;
}

/** homeassistant/<component>/[<node_id>/]<object_id>/config (HA discovery.py TOPIC_MATCHER). */
export function parseDiscoveryTopic(topic: string, prefix = HA_DISCOVERY_PREFIX): DiscoveryTopicParts | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const m = /^(\w+)\/(?:([a-zA-Z0-9_-]+)\/)?([a-zA-Z0-9_-]+)\/config$/.exec(topic.slice(prefix.length + 1));
  if (!m?.[1] || !m[3]) return undefined;
  return m[2] ? { component: m[1], node_id: m[2], object_id: m[3] } : { component: m[1], object_id: m[3] };
}

/** Device ids are [A-Za-z0-9_-]{1,64} (protocol/common.ts); HA unique ids may contain anything. */
export function sanitizeId(s: string): string {
  const id = s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[-]+/, '')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (id || 'ha_device').slice(0, 64);
}

/** Expand abbreviations (top level, device, availability[]) and the `~` base topic, as HA does. */
export function expandConfig(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) out[ABBREVIATIONS[k] ?? k] = v;
  if (out.device && typeof out.device === 'object' && !Array.isArray(out.device)) {
    const dev: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out.device as Record<string, unknown>)) dev[DEVICE_ABBREVIATIONS[k] ?? k] = v;
    out.device = dev;
  }
  if (Array.isArray(out.availability)) {
    out.availability = out.availability.map((a: unknown) => {
      if (!a || typeof a !== 'object') return a;
      const e: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) e[ABBREVIATIONS[k] ?? k] = v;
      return e;
    });
  }
  const base = out['~'];
  if (typeof base === 'string') {
    delete out['~'];
    const sub = (v: string) => (v.startsWith('~') ? base + v.slice(1) : v.endsWith('~') ? v.slice(0, -1) + base : v);
    for (const [k, v] of Object.entries(out)) if (k.endsWith('topic') && typeof v === 'string' && v) out[k] = sub(v);
    if (Array.isArray(out.availability)) {
      for (const a of out.availability as Record<string, unknown>[])
        if (a && typeof a.topic === 'string' && a.topic) a.topic = sub(a.topic);
    }
  }
  return out;
}

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
  const schema = c.schema === 'json' ? 'json' : c.schema === 'template' ? undefined : 'default';
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
    schema: (schema ?? 'default') as 'default' | 'json',
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
    qos: (c.qos === 0 ? 0 : c.qos === undefined ? 0 : 1) as 0 | 1,
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

/** The device id of an adopted entity: its unique_id, else its object id (with the node id if any). */
export function entityDeviceId(e: HaEntity): string {
  return sanitizeId(e.unique_id ?? e.object_id);
}

/** Every topic the entity's state and availability arrive on. */
export function entityStateTopics(e: HaEntity): string[] {
  const t = [
    e.state_topic,
    e.brightness_state_topic,
    e.temperature_state_topic,
    e.mode_state_topic,
    e.current_temperature_topic,
    ...e.availability.map((a) => a.topic),
  ].filter((x): x is string => typeof x === 'string');
  return [...new Set(t)];
}

function humanize(objectId: string): string {
  return objectId.replace(/[_-]+/g, ' ').trim() || objectId;
}

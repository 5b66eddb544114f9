import { HA_DISCOVERY_PREFIX } from './topics.js';

/**
 * Home Assistant MQTT discovery, the part of its format every reader of a discovery config needs:
 * the config topic's parts and the expansion of abbreviated keys and of the `~` base topic. Both
 * the device manager (which adopts the device) and the broker (which checks that an external
 * device's config names only its own topics) must read a config exactly as Home Assistant does,
 * or a config could mean one thing to the check and another to the adopter.
 * Reference: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and HA core
 * homeassistant/components/mqtt/{discovery.py,abbreviations.py}: abbreviations are expanded first,
 * then `~` is replaced in every key ending in "topic" (leading or trailing `~`) and in availability[].topic.
 */

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

/** The topics an expanded discovery config names, by direction: what the device says, and what it is told. */
export interface DiscoveryTopics {
  /** state, availability, attributes...: the device publishes them */
  fromDevice: string[];
  /** every key ending in command_topic: the device listens on them */
  toDevice: string[];
}

/**
 * Sort the topics of an expanded config (expandConfig) by direction, as Home Assistant's own keys
 * do: `*command_topic` is sent to the device, every other `*topic` and availability[].topic comes
 * from it. Values that are not non-empty strings are skipped (a bad config names nothing).
 */
export function discoveryTopics(cfg: Record<string, unknown>): DiscoveryTopics {
  const fromDevice = new Set<string>();
  const toDevice = new Set<string>();
  for (const [k, v] of Object.entries(cfg)) {
    if (!k.endsWith('topic') || typeof v !== 'string' || v === '') continue;
    (k.endsWith('command_topic') ? toDevice : fromDevice).add(v);
  }
  if (Array.isArray(cfg.availability)) {
    for (const a of cfg.availability as unknown[]) {
      const t = a && typeof a === 'object' ? (a as Record<string, unknown>).topic : undefined;
      if (typeof t === 'string' && t !== '') fromDevice.add(t);
    }
  }
  return { fromDevice: [...fromDevice], toDevice: [...toDevice] };
}

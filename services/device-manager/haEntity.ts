import type { DeviceKind } from '../lib/protocol/device.js';

/** The Home Assistant MQTT components the device manager adopts. */
export const HA_COMPONENTS = ['light', 'switch', 'sensor', 'binary_sensor', 'lock', 'climate'] as const;
export type HaComponent = (typeof HA_COMPONENTS)[number];

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

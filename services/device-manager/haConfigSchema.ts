import { z } from 'zod';
import { HA_DISCOVERY_PREFIX } from '../lib/protocol/topics.js';

/**
 * What a Home Assistant discovery config may hold, after abbreviation and `~` expansion
 * (services/lib/protocol/haDiscovery.ts): the keys the device manager reads, each bounded, and the
 * topics it names kept away from the topics Alicia and the broker own.
 */

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
export const rawConfigSchema = z.looseObject({
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
export type RawConfig = z.infer<typeof rawConfigSchema>;

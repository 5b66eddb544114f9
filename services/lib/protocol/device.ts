import { z } from 'zod';
import { deviceIdSchema, errorInfoSchema } from './common.js';

export const DEVICE_KINDS = ['light', 'switch', 'thermostat', 'lock', 'speaker', 'sensor', 'climate'] as const;
export const deviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** The capabilities a device status lists in `traits`; which actions need which: deviceActions.ts. */
export const TRAITS = {
  onOff: 'on_off',
  brightness: 'brightness',
  setpoint: 'temperature_setpoint',
  hvacMode: 'hvac_mode',
  currentTemperature: 'current_temperature',
  lock: 'lock',
  volume: 'volume',
  playback: 'playback',
  temperature: 'temperature',
  humidity: 'humidity',
  motion: 'motion',
} as const;

/**
 * The wire shape only: `action` and `params` are checked against the device by the device manager
 * (deviceActions.ts parseDeviceAction), so that an action the device cannot do is answered with
 * DEVICE_BAD_ACTION and a bad parameter with DEVICE_BAD_PARAMS rather than a bare SCHEMA_INVALID.
 */
export const deviceCommandSchema = z.looseObject({
  device_id: deviceIdSchema,
  action: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
});

export const deviceResponseSchema = z.looseObject({
  ok: z.boolean(),
  device_id: z.string(),
  action: z.string().optional(),
  state: z.record(z.string(), z.unknown()).optional(),
  error: errorInfoSchema.optional(),
});

/** Retained on alicia/device/status/<device_id>; an empty retained payload means the device was removed. */
export const deviceStatusSchema = z.looseObject({
  device_id: z.string(),
  name: z.string(),
  kind: deviceKindSchema,
  room: z.string(),
  aliases: z.array(z.string()).default([]),
  /** lights: { on, brightness 0-100 }; thermostat: { target, mode, current }; lock: { locked }; speaker: { volume, playing }; sensor: readings */
  state: z.record(z.string(), z.unknown()),
  /** capabilities, e.g. ["on_off","brightness"] (TRAITS) */
  traits: z.array(z.string()).default([]),
  /** the actions this device accepts (deviceActions.ts actionsFor); absent from older device managers */
  actions: z.array(z.string()).optional(),
  online: z.boolean(),
  /** "simulated" for the default home, "homeassistant" for adopted devices */
  origin: z.string().default('simulated'),
  /**
   * adopted devices: the name and room the device announced (its discovery config). A name or room
   * the user set differs from these and stays when the device announces itself again; one equal to
   * them follows the device.
   */
  announced: z.looseObject({ name: z.string(), room: z.string() }).optional(),
  /** thermostats and climate devices: the setpoint range, step and modes the device accepts */
  limits: z.looseObject({ min_temp: z.number(), max_temp: z.number(), temp_step: z.number(), modes: z.array(z.string()) }).optional(),
  updated_at: z.number(),
});

export const deviceRegistryRequestSchema = z.discriminatedUnion('action', [
  z.looseObject({ action: z.literal('list') }),
  z.looseObject({
    action: z.literal('add'),
    device: z.looseObject({
      device_id: deviceIdSchema,
      name: z.string().min(1).max(80),
      kind: deviceKindSchema,
      room: z.string().max(80).default(''),
      aliases: z.array(z.string().min(1).max(80)).max(20).default([]),
      traits: z.array(z.string()).optional(),
    }),
  }),
  /**
   * Change what a device is called. The fields are checked by the device manager, which answers a
   * refusal with DEVICE_NAME_INVALID, DEVICE_ROOM_INVALID, DEVICE_ALIAS_INVALID or DEVICE_NAME_TAKEN
   * (details: field, value, and for a taken phrase the device_id that has it) rather than a bare
   * SCHEMA_INVALID: the bounds here only keep the message small.
   */
  z.looseObject({
    action: z.literal('rename'),
    device_id: deviceIdSchema,
    name: z.string().max(400).optional(),
    room: z.string().max(400).optional(),
    aliases: z.array(z.string().max(400)).max(100).optional(),
  }),
  z.looseObject({ action: z.literal('remove'), device_id: deviceIdSchema }),
]);

export const deviceRegistryResponseSchema = z.looseObject({
  ok: z.boolean(),
  devices: z.array(z.looseObject({ device_id: z.string(), name: z.string(), kind: z.string(), room: z.string() })).optional(),
  error: errorInfoSchema.optional(),
});

import { z } from 'zod';
import { AliciaError } from '../lib/protocol/errors.js';

/** The device-manager section of the service config (ALICIA_SERVICE_CONFIG). Unknown keys are ignored. */
export const deviceManagerConfigSchema = z.looseObject({
  /** the default home loaded on first start; default: resources/home.json found above this file */
  home_file: z.string().min(1).optional(),
  /** how often simulated sensors publish readings (and thermostats move toward their target) */
  sensor_interval_ms: z.number().int().min(100).max(3_600_000).default(10_000),
  /** run the simulated physics at all */
  simulate: z.boolean().default(true),
  /** adopt devices announced with Home Assistant MQTT discovery */
  ha_discovery: z.boolean().default(true),
  /** how long a command to an adopted device with a state topic waits for the device to report back */
  confirm_timeout_ms: z.number().int().min(50).max(60_000).default(2_000),
});

export type DeviceManagerConfig = z.infer<typeof deviceManagerConfigSchema>;

export function parseDeviceManagerConfig(raw: unknown): DeviceManagerConfig {
  const r = deviceManagerConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AliciaError('CONFIG_INVALID', `device-manager config: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'}`);
  }
  return r.data;
}

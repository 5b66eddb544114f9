import type { DeviceKind } from '../lib/protocol/device.js';

/** The `state` object of a device status (shape per kind: see deviceModels.ts). */
export type DeviceState = Record<string, unknown>;

/** Where a device came from: the default home / an add request, or Home Assistant MQTT discovery. */
export type DeviceOrigin = 'simulated' | 'homeassistant';

/** One row of the registry, as stored in SQLite and published (with `online`) on the status topic. */
export interface DeviceRecord {
  id: string;
  name: string;
  kind: DeviceKind;
  room: string;
  aliases: string[];
  traits: string[];
  origin: DeviceOrigin;
  /** per-origin settings: thermostat limits for simulated devices, the parsed HA entity for adopted ones */
  config: Record<string, unknown>;
  state: DeviceState;
  /** ask "…?" and wait for yes before a spoken command acts on it (the user marks risky devices) */
  confirm?: boolean;
  updated_at: number;
}

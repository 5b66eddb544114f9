import { DEVICE_KINDS, TRAITS, deviceRegistryRequestSchema } from '../../../services/lib/protocol/device.js';
import type { DeviceKind } from '../../../services/lib/protocol/device.js';
import { DEFAULT_THERMOSTAT_LIMITS, MIN_LIT_BRIGHTNESS, PERCENT } from '../../../services/lib/protocol/deviceActions.js';
import { NAMING_LIMITS, spokenKey, spokenProblem } from '../../../services/lib/protocol/deviceNaming.js';
import type { DeviceAction } from '../../../services/lib/protocol/deviceActions.js';
import type { BodyOf } from '../../../services/lib/protocol/topics.js';

/**
 * The "Add device" form of the Devices view: its values, their validation and what is sent.
 * Pure (no React, no bus), so every rule has a unit test (deviceForm.test.ts).
 *
 * The device manager is the authority on uniqueness of ids (it answers DEVICE_EXISTS, which the
 * form shows on the id field): checking ids here too would race with other windows. What the
 * device manager does not check, and a person would trip over later, is checked here: a spoken
 * name another device already answers to makes voice commands ambiguous.
 */

export const KINDS: readonly DeviceKind[] = DEVICE_KINDS;

/** Thermostat limits and modes of a device added without its own: the device manager's defaults. */
export const THERMOSTAT_MIN = DEFAULT_THERMOSTAT_LIMITS.min_temp;
export const THERMOSTAT_MAX = DEFAULT_THERMOSTAT_LIMITS.max_temp;
export const THERMOSTAT_STEP = DEFAULT_THERMOSTAT_LIMITS.temp_step;
export const THERMOSTAT_MODES = DEFAULT_THERMOSTAT_LIMITS.modes;
/** A light that starts on starts lit (0 % would be off); volume may start at 0. Whole percents in the form. */
export const BRIGHTNESS_RANGE = { min: MIN_LIT_BRIGHTNESS, max: PERCENT.max, step: 1 } as const;
export const VOLUME_RANGE = { min: PERCENT.min, max: PERCENT.max, step: 1 } as const;
export const SENSOR_READINGS = [TRAITS.temperature, TRAITS.humidity, TRAITS.motion] as const;
export type SensorReading = (typeof SENSOR_READINGS)[number];

const MAX_ALIASES = NAMING_LIMITS.aliases;
const ID_RE = /^[a-z0-9_][a-z0-9_-]{0,63}$/;

/** The form's fields as the inputs hold them (numbers as typed text). */
export interface DeviceFormValues {
  name: string;
  id: string;
  kind: DeviceKind;
  room: string;
  /** comma-separated */
  aliases: string;
  /** light: has a brightness level */
  dimmable: boolean;
  /** sensor: which readings it reports */
  readings: Record<SensorReading, boolean>;
  /** light/switch: starts on; lock: starts locked */
  on: boolean;
  locked: boolean;
  /** dimmable light that starts on, 1-100 */
  brightness: string;
  /** thermostat/climate */
  target: string;
  mode: string;
  /** speaker, 0-100 */
  volume: string;
}

export type DeviceFormField = 'name' | 'id' | 'kind' | 'room' | 'aliases' | 'readings' | 'brightness' | 'target' | 'mode' | 'volume';
export type DeviceFormErrors = Partial<Record<DeviceFormField | 'form', string>>;

export function emptyDeviceForm(kind: DeviceKind = 'light'): DeviceFormValues {
  return {
    name: '',
    id: '',
    kind,
    room: '',
    aliases: '',
    dimmable: true,
    readings: { temperature: true, humidity: false, motion: false },
    on: false,
    locked: true,
    brightness: '100',
    target: '21',
    mode: 'off',
    volume: '30',
  };
}

/** A device id from a name: "The desk lamp #2" -> "desk_lamp_2" (the id is a topic level: alicia/device/status/<id>). */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/^\s*(the|a|my)\s+/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64)
    .replace(/_+$/, '');
}

/** Split the aliases field: commas separate, blanks are dropped. */
export function parseAliases(text: string): string[] {
  return text
    .split(',')
    .map((a) => a.trim().replace(/\s+/g, ' '))
    .filter((a) => a !== '');
}

/** What the form needs to know about a device that already exists. */
export interface KnownDevice {
  device_id: string;
  name: string;
  room: string;
  aliases: readonly string[];
}

/** The phrases a device answers to, as spoken keys: its name and aliases, each also as "<room> <phrase>". */
function phrasesOf(name: string, aliases: readonly string[], room: string): { phrase: string; key: string }[] {
  const r = spokenKey(room);
  const out: { phrase: string; key: string }[] = [];
  for (const phrase of [name, ...aliases]) {
    const key = spokenKey(phrase);
    if (key === '') continue;
    out.push({ phrase, key });
    // services/lib/language/deviceRegistry.ts adds "<room> <name>" when the name lacks the room
    if (r !== '' && !key.includes(r)) out.push({ phrase: `${room} ${phrase}`, key: `${r} ${key}` });
  }
  return out;
}

/** Spoken key -> the id of the device already answering to it. */
function spokenIndex(devices: readonly KnownDevice[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of devices) for (const { key } of phrasesOf(d.name, d.aliases, d.room)) if (!out.has(key)) out.set(key, d.device_id);
  return out;
}

/**
 * Why `name` with `aliases` in `room` would make voice commands ambiguous: the first phrase another
 * of `existing` already answers to, in words (the device manager refuses it with DEVICE_NAME_TAKEN).
 */
export function phraseClash(
  name: string,
  aliases: readonly string[],
  room: string,
  existing: readonly KnownDevice[],
): { field: 'name' | 'aliases'; message: string } | null {
  const known = spokenIndex(existing);
  const names = new Set(phrasesOf(name, [], room).map((p) => p.key));
  for (const { phrase, key } of phrasesOf(name, aliases, room)) {
    const other = known.get(key);
    if (other !== undefined) {
      return {
        field: names.has(key) ? 'name' : 'aliases',
        message: `“${phrase}” already means ${other}: voice commands would be ambiguous`,
      };
    }
  }
  return null;
}

function numberIn(text: string, min: number, max: number, step: number | null): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) return null;
  if (step !== null && Math.abs(n / step - Math.round(n / step)) > 1e-9) return null;
  return n;
}

export type AddDeviceRequest = Extract<BodyOf<'alicia/device/registry/request'>, { action: 'add' }>;

/** The state the user asked the new device to start in (sent as commands once it exists). */
export type InitialState =
  | { kind: 'light' | 'switch'; on: boolean; brightness?: number }
  | { kind: 'thermostat' | 'climate'; target: number; mode: string }
  | { kind: 'lock'; locked: boolean }
  | { kind: 'speaker'; volume: number }
  | { kind: 'sensor' };

export type DeviceFormResult = { ok: true; request: AddDeviceRequest; initial: InitialState } | { ok: false; errors: DeviceFormErrors };

/** Check the form against the registry contract and the devices that exist; build the add request. */
export function validateDeviceForm(v: DeviceFormValues, existing: readonly KnownDevice[]): DeviceFormResult {
  const errors: DeviceFormErrors = {};
  const name = v.name.trim().replace(/\s+/g, ' ');
  const room = v.room.trim().replace(/\s+/g, ' ');
  const id = v.id.trim();
  const aliases = parseAliases(v.aliases);
  if (name === '') errors.name = 'Give the device a name, e.g. desk lamp';
  else {
    const p = spokenProblem('The name', name);
    if (p) errors.name = p;
  }

  // With no name either, the id (derived from the name) needs no message of its own.
  if (id === '') {
    if (name !== '') errors.id = 'An id is required (it names the topic alicia/device/status/<id>)';
  } else if (!ID_RE.test(id)) errors.id = 'Use lower-case letters, digits, _ and - (at most 64), not starting with -';

  if (!(KINDS as readonly string[]).includes(v.kind)) errors.kind = `Choose one of: ${KINDS.join(', ')}`;

  if (room !== '') {
    const p = spokenProblem('The room', room);
    if (p) errors.room = p;
  }

  if (aliases.length > MAX_ALIASES) errors.aliases = `At most ${MAX_ALIASES} aliases`;
  else {
    const seen = new Set<string>(name !== '' ? [spokenKey(name)] : []);
    for (const a of aliases) {
      const p = spokenProblem(`Alias “${a}”`, a);
      const k = spokenKey(a);
      if (p || seen.has(k)) {
        errors.aliases = p ?? `“${a}” is listed twice (or repeats the name)`;
        break;
      }
      seen.add(k);
    }
  }

  // A phrase another device already answers to would make voice commands ambiguous.
  if (!errors.room) {
    if (!errors.name && name !== '') {
      const c = phraseClash(name, [], room, existing);
      if (c) errors.name = c.message;
    }
    if (!errors.aliases && aliases.length > 0) {
      const c = phraseClash('', aliases, room, existing);
      if (c) errors.aliases = c.message;
    }
  }

  let traits: string[] | undefined;
  let initial: InitialState = { kind: 'sensor' };
  switch (v.kind) {
    case 'light':
    case 'switch': {
      const dimmable = v.kind === 'light' && v.dimmable;
      if (v.kind === 'light') traits = dimmable ? [TRAITS.onOff, TRAITS.brightness] : [TRAITS.onOff];
      let brightness: number | undefined;
      if (dimmable && v.on) {
        const r = BRIGHTNESS_RANGE;
        const b = numberIn(v.brightness, r.min, r.max, r.step);
        if (b === null) errors.brightness = `Brightness is a whole number from ${r.min} to ${r.max} %`;
        else brightness = b;
      }
      initial = { kind: v.kind, on: v.on, ...(brightness !== undefined ? { brightness } : {}) };
      break;
    }
    case 'thermostat':
    case 'climate': {
      const t = numberIn(v.target, THERMOSTAT_MIN, THERMOSTAT_MAX, THERMOSTAT_STEP);
      if (t === null) errors.target = `Target is ${THERMOSTAT_MIN}–${THERMOSTAT_MAX} °C in steps of ${THERMOSTAT_STEP}`;
      if (!(THERMOSTAT_MODES as readonly string[]).includes(v.mode)) errors.mode = `Mode is one of ${THERMOSTAT_MODES.join(', ')}`;
      initial = { kind: v.kind, target: t ?? 21, mode: v.mode };
      break;
    }
    case 'lock':
      initial = { kind: 'lock', locked: v.locked };
      break;
    case 'speaker': {
      const r = VOLUME_RANGE;
      const vol = numberIn(v.volume, r.min, r.max, r.step);
      if (vol === null) errors.volume = `Volume is a whole number from ${r.min} to ${r.max} %`;
      initial = { kind: 'speaker', volume: vol ?? 30 };
      break;
    }
    case 'sensor':
      traits = SENSOR_READINGS.filter((r) => v.readings[r]);
      if (traits.length === 0) errors.readings = 'Pick at least one reading the sensor reports';
      break;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const request: AddDeviceRequest = {
    action: 'add',
    device: { device_id: id, name, kind: v.kind, room, aliases, ...(traits ? { traits } : {}) },
  };
  // Last guard: the contract itself (the device manager decodes with the same schema).
  const checked = deviceRegistryRequestSchema.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return {
      ok: false,
      errors: { form: `Not a valid registry request: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}` },
    };
  }
  return { ok: true, request, initial };
}

export type InitialCommand = DeviceAction;

/**
 * The commands that take a new device from the state the device manager gave it to the state the
 * user asked for (the registry `add` request has no state: services/lib/protocol/device.ts).
 */
export function initialCommands(initial: InitialState, state: Record<string, unknown>): InitialCommand[] {
  switch (initial.kind) {
    case 'light':
    case 'switch':
      if (initial.on) {
        if (initial.brightness !== undefined) {
          return state.on === true && state.brightness === initial.brightness
            ? []
            : [{ action: 'set_brightness', params: { brightness: initial.brightness } }];
        }
        return state.on === true ? [] : [{ action: 'turn_on', params: {} }];
      }
      return state.on === true ? [{ action: 'turn_off', params: {} }] : [];
    case 'thermostat':
    case 'climate': {
      const out: InitialCommand[] = [];
      if (state.target !== initial.target) out.push({ action: 'set_temperature', params: { target: initial.target } });
      if (state.mode !== initial.mode) out.push({ action: 'set_mode', params: { mode: initial.mode } });
      return out;
    }
    case 'lock':
      return (state.locked === true) === initial.locked ? [] : [{ action: initial.locked ? 'lock' : 'unlock', params: {} }];
    case 'speaker':
      return state.volume === initial.volume ? [] : [{ action: 'set_volume', params: { volume: initial.volume } }];
    case 'sensor':
      return [];
  }
}

/** A command to try by voice on a new device (templates of services/lib/language/intents.ts), or null. */
export function voiceExample(request: AddDeviceRequest): string | null {
  const d = request.device;
  const the = `the ${spokenKey(d.name)}`;
  switch (d.kind) {
    case 'light':
    case 'switch':
      return `turn on ${the}`;
    case 'thermostat':
    case 'climate':
      return `set ${the} to 22 degrees`;
    case 'lock':
      return `unlock ${the}`;
    case 'speaker':
      return `play music on ${the}`;
    case 'sensor':
      return d.traits?.includes(TRAITS.temperature) ? `what is the temperature of ${the}` : null;
  }
}

/** Where a refusal from the device manager belongs in the form. */
export function fieldOfServiceError(code: string): DeviceFormField | 'form' {
  return code === 'DEVICE_EXISTS' ? 'id' : 'form';
}

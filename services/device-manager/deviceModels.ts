import { AliciaError } from '../lib/protocol/errors.js';
import type { DeviceKind } from './deviceTypes.js';
import type { DeviceState } from './deviceTypes.js';

/**
 * Device models: what each kind of device does with an action. Pure functions, no I/O: the device
 * manager applies them to simulated devices (the default home) and uses the same result as the
 * target state it translates into Home Assistant command payloads for adopted devices, so both
 * kinds of device validate actions and parameters identically.
 *
 * State shapes (published as `state` on alicia/device/status/<id>, see services/lib/protocol/device.ts):
 *   light / switch:       { on: boolean, brightness?: 0-100 }   (brightness only with the "brightness" trait)
 *   thermostat / climate: { target: °C, mode: string, current: °C | null }
 *   lock:                 { locked: boolean }
 *   speaker:              { volume: 0-100, playing: boolean }
 *   sensor:               readings, e.g. { temperature, humidity, motion }
 */

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

/** Limits a model needs beyond its kind (thermostat range and modes); stored in the device's config. */
export interface ModelLimits {
  min_temp?: number;
  max_temp?: number;
  temp_step?: number;
  modes?: readonly string[];
}

export interface ModelDevice {
  kind: DeviceKind;
  traits: readonly string[];
  limits?: ModelLimits;
}

export const DEFAULT_THERMOSTAT_MODES = ['heat', 'cool', 'off'] as const;
const DEFAULT_MIN_TEMP = 5;
const DEFAULT_MAX_TEMP = 35;
const DEFAULT_STEP = 10;

/** The traits a kind has when the home file or an `add` request does not list them. */
export function defaultTraits(kind: DeviceKind): string[] {
  switch (kind) {
    case 'light':
      return [TRAITS.onOff, TRAITS.brightness];
    case 'switch':
      return [TRAITS.onOff];
    case 'thermostat':
    case 'climate':
      return [TRAITS.setpoint, TRAITS.hvacMode, TRAITS.currentTemperature];
    case 'lock':
      return [TRAITS.lock];
    case 'speaker':
      return [TRAITS.volume, TRAITS.playback];
    case 'sensor':
      return [TRAITS.temperature];
  }
}

/** The state a new device starts in. */
export function defaultState(device: ModelDevice): DeviceState {
  switch (device.kind) {
    case 'light':
    case 'switch':
      return device.traits.includes(TRAITS.brightness) ? { on: false, brightness: 100 } : { on: false };
    case 'thermostat':
    case 'climate':
      return { target: 21, mode: 'off', current: null };
    case 'lock':
      return { locked: true };
    case 'speaker':
      return { volume: 30, playing: false };
    case 'sensor': {
      const s: DeviceState = {};
      if (device.traits.includes(TRAITS.temperature)) s.temperature = null;
      if (device.traits.includes(TRAITS.humidity)) s.humidity = null;
      if (device.traits.includes(TRAITS.motion)) s.motion = false;
      return s;
    }
  }
}

/** The actions a device accepts (the window shows these; the ai service may check before commanding). */
export function actionsOf(device: ModelDevice): string[] {
  const a = ['get_state'];
  switch (device.kind) {
    case 'light':
    case 'switch':
      a.push('turn_on', 'turn_off', 'toggle');
      if (device.traits.includes(TRAITS.brightness)) a.push('set_brightness', 'brightness_up', 'brightness_down');
      break;
    case 'thermostat':
    case 'climate':
      a.push('set_temperature', 'temperature_up', 'temperature_down', 'set_mode', 'turn_on', 'turn_off');
      break;
    case 'lock':
      a.push('lock', 'unlock', 'toggle');
      break;
    case 'speaker':
      a.push('play', 'pause', 'toggle', 'turn_on', 'turn_off', 'set_volume', 'volume_up', 'volume_down');
      break;
    case 'sensor':
      break;
  }
  return a;
}

/**
 * Apply an action to a device's state. Returns the new state (a fresh object; the input is not
 * mutated) or throws AliciaError DEVICE_BAD_ACTION (the device cannot do that) or DEVICE_BAD_PARAMS
 * (a parameter is missing, not a number, or out of range).
 */
export function applyAction(device: ModelDevice, action: string, params: Record<string, unknown>, state: DeviceState): DeviceState {
  if (action === 'get_state') return { ...state };
  if (!actionsOf(device).includes(action)) {
    throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${action}`, { actions: actionsOf(device) });
  }
  switch (device.kind) {
    case 'light':
    case 'switch':
      return applyLight(device, action, params, state);
    case 'thermostat':
    case 'climate':
      return applyThermostat(device, action, params, state);
    case 'lock':
      return { ...state, locked: action === 'lock' ? true : action === 'unlock' ? false : !(state.locked === true) };
    case 'speaker':
      return applySpeaker(action, params, state);
    case 'sensor':
      // actionsOf() gives a sensor only get_state, handled above.
      throw new AliciaError('DEVICE_BAD_ACTION', `a sensor cannot ${action}`);
  }
}

function applyLight(device: ModelDevice, action: string, params: Record<string, unknown>, state: DeviceState): DeviceState {
  const dimmable = device.traits.includes(TRAITS.brightness);
  const on = state.on === true;
  // A dimmable light remembers its level while off, so turn_on restores it (as Hue/Z2M lights do).
  const level = typeof state.brightness === 'number' && state.brightness > 0 ? state.brightness : 100;
  switch (action) {
    case 'turn_on': {
      const b = dimmable ? optionalNumber(params, ['brightness', 'value'], 'brightness', 0, 100) : undefined;
      if (b === 0) return { ...state, on: false };
      return dimmable ? { ...state, on: true, brightness: b ?? level } : { ...state, on: true };
    }
    case 'turn_off':
      return { ...state, on: false };
    case 'toggle':
      return dimmable && !on ? { ...state, on: true, brightness: level } : { ...state, on: !on };
    case 'set_brightness': {
      const b = requiredNumber(params, ['brightness', 'value'], 'brightness', 0, 100);
      // 0 % means off; the previous level is kept for the next turn_on.
      return b === 0 ? { ...state, on: false } : { ...state, on: true, brightness: Math.round(b) };
    }
    case 'brightness_up':
    case 'brightness_down': {
      const step = optionalNumber(params, ['step', 'value'], 'step', 1, 100) ?? DEFAULT_STEP;
      const from = on ? level : action === 'brightness_up' ? 0 : level;
      const next = clamp(action === 'brightness_up' ? from + step : from - step, 1, 100);
      return { ...state, on: true, brightness: Math.round(next) };
    }
  }
  throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${action}`);
}

function applyThermostat(device: ModelDevice, action: string, params: Record<string, unknown>, state: DeviceState): DeviceState {
  const min = device.limits?.min_temp ?? DEFAULT_MIN_TEMP;
  const max = device.limits?.max_temp ?? DEFAULT_MAX_TEMP;
  const stepRes = device.limits?.temp_step ?? 0.5;
  const modes = device.limits?.modes ?? DEFAULT_THERMOSTAT_MODES;
  const target = typeof state.target === 'number' ? state.target : 21;
  const current = typeof state.current === 'number' ? state.current : null;
  const round = (t: number) => Math.round(t / stepRes) * stepRes;
  switch (action) {
    case 'set_temperature': {
      const t = requiredNumber(params, ['temperature', 'target', 'value'], 'temperature', min, max);
      return { ...state, target: round(t) };
    }
    case 'temperature_up':
    case 'temperature_down': {
      const step = optionalNumber(params, ['step', 'value'], 'step', 0.1, 10) ?? 1;
      return { ...state, target: round(clamp(action === 'temperature_up' ? target + step : target - step, min, max)) };
    }
    case 'set_mode': {
      const mode = params.mode ?? params.value;
      if (typeof mode !== 'string' || !modes.includes(mode)) {
        throw new AliciaError('DEVICE_BAD_PARAMS', `mode must be one of ${modes.join(', ')}`, { param: 'mode', allowed: modes });
      }
      return { ...state, mode };
    }
    case 'turn_off':
      if (!modes.includes('off')) throw new AliciaError('DEVICE_BAD_ACTION', 'this thermostat has no off mode');
      return { ...state, mode: 'off' };
    case 'turn_on': {
      // Heat when the room is below the target, cool when above, as a person would expect "turn on" to do.
      const wanted = current !== null && current > target ? 'cool' : 'heat';
      const mode = modes.includes(wanted) ? wanted : modes.find((m) => m !== 'off');
      if (mode === undefined) throw new AliciaError('DEVICE_BAD_ACTION', 'this thermostat has no mode to turn on');
      return { ...state, mode };
    }
  }
  throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${action}`);
}

function applySpeaker(action: string, params: Record<string, unknown>, state: DeviceState): DeviceState {
  const volume = typeof state.volume === 'number' ? state.volume : 30;
  switch (action) {
    case 'play':
    case 'turn_on':
      return { ...state, playing: true };
    case 'pause':
    case 'turn_off':
      return { ...state, playing: false };
    case 'toggle':
      return { ...state, playing: !(state.playing === true) };
    case 'set_volume':
      return { ...state, volume: Math.round(requiredNumber(params, ['volume', 'value'], 'volume', 0, 100)) };
    case 'volume_up':
    case 'volume_down': {
      const step = optionalNumber(params, ['step', 'value'], 'step', 1, 100) ?? DEFAULT_STEP;
      return { ...state, volume: Math.round(clamp(action === 'volume_up' ? volume + step : volume - step, 0, 100)) };
    }
  }
  throw new AliciaError('DEVICE_BAD_ACTION', `a speaker cannot ${action}`);
}

/**
 * Simulated physics for one tick of the default home: the hallway sensor drifts, a heating or
 * cooling thermostat moves its current temperature toward the target. `rnd` is injected so tests
 * are deterministic. Returns the same object when nothing changed.
 */
export function simulateTick(device: ModelDevice, state: DeviceState, rnd: () => number): DeviceState {
  if (device.kind === 'sensor') {
    const next: DeviceState = { ...state };
    if (device.traits.includes(TRAITS.temperature)) {
      const t = typeof state.temperature === 'number' ? state.temperature : 20.5;
      next.temperature = round1(clamp(t + (rnd() - 0.5) * 0.4, 15, 28));
    }
    if (device.traits.includes(TRAITS.humidity)) {
      const h = typeof state.humidity === 'number' ? state.humidity : 45;
      next.humidity = Math.round(clamp(h + (rnd() - 0.5) * 3, 25, 70));
    }
    if (device.traits.includes(TRAITS.motion)) next.motion = rnd() < 0.15;
    return next;
  }
  if (device.kind === 'thermostat' || device.kind === 'climate') {
    const target = typeof state.target === 'number' ? state.target : 21;
    const current = typeof state.current === 'number' ? state.current : target;
    let next = current;
    if (state.mode === 'heat' && current < target) next = Math.min(target, current + 0.2);
    else if (state.mode === 'cool' && current > target) next = Math.max(target, current - 0.2);
    next = round1(next);
    return next === state.current ? state : { ...state, current: next };
  }
  return state;
}

// --- parameter helpers ---

function pick(params: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) if (params[n] !== undefined && params[n] !== null) return params[n];
  return undefined;
}

function toNumber(v: unknown, label: string): number {
  // Voice and hand-typed commands may carry numbers as strings ("50", "50%").
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim().replace(/%$/, '')) : NaN;
  if (!Number.isFinite(n)) throw new AliciaError('DEVICE_BAD_PARAMS', `${label} must be a number`, { param: label });
  return n;
}

function requiredNumber(params: Record<string, unknown>, names: readonly string[], label: string, min: number, max: number): number {
  const v = pick(params, names);
  if (v === undefined) throw new AliciaError('DEVICE_BAD_PARAMS', `${label} is required`, { param: label });
  return inRange(toNumber(v, label), label, min, max);
}

function optionalNumber(
  params: Record<string, unknown>,
  names: readonly string[],
  label: string,
  min: number,
  max: number,
): number | undefined {
  const v = pick(params, names);
  return v === undefined ? undefined : inRange(toNumber(v, label), label, min, max);
}

/** Out-of-range values are refused, not clamped: "set the thermostat to 50" must not silently become 35. */
function inRange(n: number, label: string, min: number, max: number): number {
  if (n < min || n > max)
    throw new AliciaError('DEVICE_BAD_PARAMS', `${label} must be between ${min} and ${max}`, { param: label, min, max });
  return n;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

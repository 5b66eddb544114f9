import { TRAITS } from '../lib/protocol/device.js';
import type { DeviceKind } from '../lib/protocol/device.js';
import {
  DEFAULT_THERMOSTAT_LIMITS,
  MIN_LIT_BRIGHTNESS,
  PERCENT,
  PERCENT_STEP,
  TEMPERATURE_STEP,
  actionsFor,
  canDo,
  parseDeviceAction,
} from '../lib/protocol/deviceActions.js';
import type { DeviceAction, ThermostatLimits } from '../lib/protocol/deviceActions.js';
import { AliciaError } from '../lib/protocol/errors.js';
import type { DeviceState } from './deviceTypes.js';

/**
 * Device models: what each kind of device does with an action. Pure functions, no I/O: the device
 * manager applies them to simulated devices (the default home) and uses the same result as the
 * target state it translates into Home Assistant command payloads for adopted devices, so both
 * kinds of device validate actions and parameters identically (against the action union of
 * services/lib/protocol/deviceActions.ts, with the device's own thermostat limits).
 *
 * State shapes (published as `state` on alicia/device/status/<id>, see services/lib/protocol/device.ts):
 *   light / switch:       { on: boolean, brightness?: 0-100 }   (brightness only with the "brightness" trait)
 *   thermostat / climate: { target: °C, mode: string, current: °C | null }
 *   lock:                 { locked: boolean }
 *   speaker:              { volume: 0-100, playing: boolean }
 *   sensor:               readings, e.g. { temperature, humidity, motion }
 */

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
  return actionsFor(device);
}

/** A thermostat's range, step and modes: its own, else the defaults (published in its status for the window's controls). */
export function thermostatLimits(device: ModelDevice): ThermostatLimits & { temp_step: number } {
  return {
    min_temp: device.limits?.min_temp ?? DEFAULT_THERMOSTAT_LIMITS.min_temp,
    max_temp: device.limits?.max_temp ?? DEFAULT_THERMOSTAT_LIMITS.max_temp,
    temp_step: device.limits?.temp_step ?? DEFAULT_THERMOSTAT_LIMITS.temp_step,
    modes: device.limits?.modes ?? DEFAULT_THERMOSTAT_LIMITS.modes,
  };
}

/**
 * Check a command against a device: AliciaError DEVICE_BAD_ACTION when the device cannot do it,
 * DEVICE_BAD_PARAMS when a parameter is missing, not a number, or out of the device's range.
 */
export function actionFor(device: ModelDevice, action: string, params: Record<string, unknown>): DeviceAction {
  if (!canDo(device, action)) {
    throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${action}`, { actions: actionsOf(device) });
  }
  return parseDeviceAction(action, params, thermostatLimits(device));
}

/** Check and apply an action as it arrived (actionFor, then applyParsed). */
export function applyAction(device: ModelDevice, action: string, params: Record<string, unknown>, state: DeviceState): DeviceState {
  return applyParsed(device, actionFor(device, action, params), state);
}

/** Apply a checked action to a device's state. Returns the new state (a fresh object; the input is not mutated). */
export function applyParsed(device: ModelDevice, a: DeviceAction, state: DeviceState): DeviceState {
  if (a.action === 'get_state') return { ...state };
  switch (device.kind) {
    case 'light':
    case 'switch':
      return applyLight(device, a, state);
    case 'thermostat':
    case 'climate':
      return applyThermostat(device, a, state);
    case 'lock':
      return { ...state, locked: a.action === 'lock' ? true : a.action === 'unlock' ? false : !(state.locked === true) };
    case 'speaker':
      return applySpeaker(a, state);
    case 'sensor':
      // actionsFor() gives a sensor only get_state, handled above.
      throw new AliciaError('DEVICE_BAD_ACTION', `a sensor cannot ${a.action}`);
  }
}

function applyLight(device: ModelDevice, a: DeviceAction, state: DeviceState): DeviceState {
  const dimmable = device.traits.includes(TRAITS.brightness);
  const on = state.on === true;
  // A dimmable light remembers its level while off, so turn_on restores it (as Hue/Z2M lights do).
  const level = typeof state.brightness === 'number' && state.brightness > 0 ? state.brightness : PERCENT.max;
  switch (a.action) {
    case 'turn_on': {
      const b = dimmable ? a.params.brightness : undefined;
      if (b === 0) return { ...state, on: false };
      return dimmable ? { ...state, on: true, brightness: b ?? level } : { ...state, on: true };
    }
    case 'turn_off':
      return { ...state, on: false };
    case 'toggle':
      return dimmable && !on ? { ...state, on: true, brightness: level } : { ...state, on: !on };
    case 'set_brightness': {
      const b = a.params.brightness;
      // 0 % means off; the previous level is kept for the next turn_on.
      return b === 0 ? { ...state, on: false } : { ...state, on: true, brightness: Math.round(b) };
    }
    case 'brightness_up':
    case 'brightness_down': {
      const step = a.params.step ?? PERCENT_STEP.default;
      const from = on ? level : a.action === 'brightness_up' ? 0 : level;
      const next = clamp(a.action === 'brightness_up' ? from + step : from - step, MIN_LIT_BRIGHTNESS, PERCENT.max);
      return { ...state, on: true, brightness: Math.round(next) };
    }
    default:
      // every other action of the union: not one this kind of device has
      throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${a.action}`);
  }
}

function applyThermostat(device: ModelDevice, a: DeviceAction, state: DeviceState): DeviceState {
  const { min_temp: min, max_temp: max, modes, temp_step: stepRes } = thermostatLimits(device);
  const target = typeof state.target === 'number' ? state.target : 21;
  const current = typeof state.current === 'number' ? state.current : null;
  const round = (t: number) => Math.round(t / stepRes) * stepRes;
  switch (a.action) {
    case 'set_temperature':
      return { ...state, target: round(a.params.target) };
    case 'temperature_up':
    case 'temperature_down': {
      const step = a.params.step ?? TEMPERATURE_STEP.default;
      return { ...state, target: round(clamp(a.action === 'temperature_up' ? target + step : target - step, min, max)) };
    }
    case 'set_mode':
      return { ...state, mode: a.params.mode };
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
    default:
      // every other action of the union: not one this kind of device has
      throw new AliciaError('DEVICE_BAD_ACTION', `a ${device.kind} cannot ${a.action}`);
  }
}

function applySpeaker(a: DeviceAction, state: DeviceState): DeviceState {
  const volume = typeof state.volume === 'number' ? state.volume : 30;
  switch (a.action) {
    case 'play':
    case 'turn_on':
      return { ...state, playing: true };
    case 'pause':
    case 'turn_off':
      return { ...state, playing: false };
    case 'toggle':
      return { ...state, playing: !(state.playing === true) };
    case 'set_volume':
      return { ...state, volume: Math.round(a.params.volume) };
    case 'volume_up':
    case 'volume_down': {
      const step = a.params.step ?? PERCENT_STEP.default;
      return { ...state, volume: Math.round(clamp(a.action === 'volume_up' ? volume + step : volume - step, PERCENT.min, PERCENT.max)) };
    }
    default:
      // every other action of the union: not one this kind of device has
      throw new AliciaError('DEVICE_BAD_ACTION', `a speaker cannot ${a.action}`);
  }
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

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** States are small JSON objects: equal when they serialise alike (a repeated report changes nothing). */
export function sameState(a: DeviceState, b: DeviceState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

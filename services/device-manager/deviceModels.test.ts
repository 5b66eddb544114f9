import { describe, expect, it } from 'vitest';
import { AliciaError } from '../lib/protocol/errors.js';
import { applyAction, defaultState, simulateTick } from './deviceModels.js';
import type { ModelDevice } from './deviceModels.js';

const dimmable: ModelDevice = { kind: 'light', traits: ['on_off', 'brightness'] };
const onOff: ModelDevice = { kind: 'light', traits: ['on_off'] };
const thermostat: ModelDevice = {
  kind: 'thermostat',
  traits: ['temperature_setpoint', 'hvac_mode'],
  limits: { min_temp: 5, max_temp: 35, modes: ['heat', 'cool', 'off'] },
};
const speaker: ModelDevice = { kind: 'speaker', traits: ['volume', 'playback'] };
const sensor: ModelDevice = { kind: 'sensor', traits: ['temperature', 'humidity', 'motion'] };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AliciaError ? e.code : 'NOT_ALICIA';
  }
  return undefined;
}

describe('light model', () => {
  it('turn_on restores the brightness the light had before it was turned off', () => {
    let s = applyAction(dimmable, 'set_brightness', { brightness: 40 }, { on: false, brightness: 100 });
    expect(s).toEqual({ on: true, brightness: 40 });
    s = applyAction(dimmable, 'turn_off', {}, s);
    expect(s).toEqual({ on: false, brightness: 40 });
    expect(applyAction(dimmable, 'turn_on', {}, s)).toEqual({ on: true, brightness: 40 });
  });
  it('set_brightness 0 turns the light off and keeps the level; numeric strings are accepted', () => {
    expect(applyAction(dimmable, 'set_brightness', { brightness: 0 }, { on: true, brightness: 70 })).toEqual({ on: false, brightness: 70 });
    expect(applyAction(dimmable, 'set_brightness', { value: '55%' }, { on: false, brightness: 70 })).toEqual({ on: true, brightness: 55 });
  });
  it('refuses out-of-range and non-numeric brightness with DEVICE_BAD_PARAMS', () => {
    expect(codeOf(() => applyAction(dimmable, 'set_brightness', { brightness: 150 }, { on: false }))).toBe('DEVICE_BAD_PARAMS');
    expect(codeOf(() => applyAction(dimmable, 'set_brightness', { brightness: 'bright' }, { on: false }))).toBe('DEVICE_BAD_PARAMS');
    expect(codeOf(() => applyAction(dimmable, 'set_brightness', {}, { on: false }))).toBe('DEVICE_BAD_PARAMS');
  });
  it('an on/off lamp cannot be dimmed; toggle flips it', () => {
    expect(codeOf(() => applyAction(onOff, 'set_brightness', { brightness: 10 }, { on: false }))).toBe('DEVICE_BAD_ACTION');
    expect(applyAction(onOff, 'toggle', {}, { on: false })).toEqual({ on: true });
    expect(applyAction(onOff, 'toggle', {}, { on: true })).toEqual({ on: false });
  });
  it('brightness_up/down step and clamp', () => {
    expect(applyAction(dimmable, 'brightness_up', {}, { on: true, brightness: 95 })).toEqual({ on: true, brightness: 100 });
    expect(applyAction(dimmable, 'brightness_down', { step: 30 }, { on: true, brightness: 20 })).toEqual({ on: true, brightness: 1 });
  });
  it('does not mutate the input state', () => {
    const s = { on: false, brightness: 30 };
    applyAction(dimmable, 'turn_on', {}, s);
    expect(s).toEqual({ on: false, brightness: 30 });
  });
});

describe('thermostat model', () => {
  it('sets the target within 5-35 °C, rounded to the step, and refuses outside', () => {
    expect(applyAction(thermostat, 'set_temperature', { temperature: 22.3 }, { target: 21, mode: 'heat' }).target).toBe(22.5);
    expect(codeOf(() => applyAction(thermostat, 'set_temperature', { temperature: 50 }, { target: 21 }))).toBe('DEVICE_BAD_PARAMS');
    expect(codeOf(() => applyAction(thermostat, 'set_temperature', { temperature: 4 }, { target: 21 }))).toBe('DEVICE_BAD_PARAMS');
  });
  it('modes are validated; turn_on heats a cold room', () => {
    expect(applyAction(thermostat, 'set_mode', { mode: 'cool' }, { target: 21, mode: 'heat' }).mode).toBe('cool');
    expect(codeOf(() => applyAction(thermostat, 'set_mode', { mode: 'turbo' }, { target: 21 }))).toBe('DEVICE_BAD_PARAMS');
    expect(applyAction(thermostat, 'turn_on', {}, { target: 21, mode: 'off', current: 18 }).mode).toBe('heat');
    expect(applyAction(thermostat, 'turn_on', {}, { target: 21, mode: 'off', current: 25 }).mode).toBe('cool');
  });
  it('heating moves the current temperature toward the target, never past it', () => {
    let s: Record<string, unknown> = { target: 21, mode: 'heat', current: 20.7 };
    s = simulateTick(thermostat, s, () => 0.5);
    expect(s.current).toBe(20.9);
    s = simulateTick(thermostat, s, () => 0.5);
    expect(s.current).toBe(21);
    expect(simulateTick(thermostat, s, () => 0.5)).toBe(s);
  });
});

describe('speaker, lock, sensor models', () => {
  it('volume is 0-100, steps clamp, play/pause', () => {
    expect(applyAction(speaker, 'set_volume', { volume: 60 }, { volume: 30, playing: false }).volume).toBe(60);
    expect(codeOf(() => applyAction(speaker, 'set_volume', { volume: 101 }, { volume: 30 }))).toBe('DEVICE_BAD_PARAMS');
    expect(applyAction(speaker, 'volume_up', {}, { volume: 95 }).volume).toBe(100);
    expect(applyAction(speaker, 'volume_down', {}, { volume: 5 }).volume).toBe(0);
    expect(applyAction(speaker, 'play', {}, { volume: 5, playing: false }).playing).toBe(true);
  });
  it('locks lock and unlock; a lock cannot turn_on', () => {
    const lock: ModelDevice = { kind: 'lock', traits: ['lock'] };
    expect(applyAction(lock, 'unlock', {}, { locked: true })).toEqual({ locked: false });
    expect(codeOf(() => applyAction(lock, 'turn_on', {}, { locked: true }))).toBe('DEVICE_BAD_ACTION');
  });
  it('sensors only report; readings drift within bounds', () => {
    expect(codeOf(() => applyAction(sensor, 'turn_on', {}, {}))).toBe('DEVICE_BAD_ACTION');
    expect(applyAction(sensor, 'get_state', {}, { temperature: 20 })).toEqual({ temperature: 20 });
    let s = defaultState(sensor);
    for (let i = 0; i < 1000; i++) s = simulateTick(sensor, s, () => 1);
    expect(s.temperature).toBe(28);
    expect(s.humidity).toBe(70);
    expect(s.motion).toBe(false);
  });
});

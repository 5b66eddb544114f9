import { describe, expect, it } from 'vitest';
import { actionsFor, deviceCommand, parseDeviceAction, requiredParams } from './deviceActions.js';
import type { DeviceAction, DeviceCommand } from './deviceActions.js';
import { AliciaError } from './errors.js';

function refusal(action: string, params: Record<string, unknown>, limits?: Parameters<typeof parseDeviceAction>[2]) {
  try {
    parseDeviceAction(action, params, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(AliciaError);
    return (e as AliciaError).toInfo();
  }
  throw new Error(`${action} ${JSON.stringify(params)} was accepted`);
}

describe('device action union', () => {
  it('turns the names and number forms commands arrive with into the canonical action', () => {
    expect(parseDeviceAction('set_brightness', { value: '55%' })).toEqual({ action: 'set_brightness', params: { brightness: 55 } });
    expect(parseDeviceAction('set_temperature', { temperature: 22.3 })).toEqual({ action: 'set_temperature', params: { target: 22.3 } });
    expect(parseDeviceAction('set_temperature', { target: '23' })).toEqual({ action: 'set_temperature', params: { target: 23 } });
    // unknown keys are dropped; null counts as absent
    expect(parseDeviceAction('turn_on', { transition: 2, brightness: null })).toEqual({ action: 'turn_on', params: {} });
    expect(parseDeviceAction('volume_up', { step: 5 })).toEqual({ action: 'volume_up', params: { step: 5 } });
  });

  it('refuses bad params with DEVICE_BAD_PARAMS, the messages and details the device manager has always answered', () => {
    expect(refusal('set_brightness', {})).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'brightness is required',
      details: { param: 'brightness' },
    });
    expect(refusal('set_brightness', { brightness: 'bright' })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'brightness must be a number',
      details: { param: 'brightness' },
    });
    expect(refusal('set_brightness', { brightness: 150 })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'brightness must be between 0 and 100',
      details: { param: 'brightness', min: 0, max: 100 },
    });
    expect(refusal('set_volume', { volume: -1 }).message).toBe('volume must be between 0 and 100');
    expect(refusal('brightness_up', { step: 0 }).message).toBe('step must be between 1 and 100');
    expect(refusal('temperature_down', { value: 50 }).message).toBe('step must be between 0.1 and 10');
    expect(refusal('set_temperature', { temperature: 50 })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'temperature must be between 5 and 35',
      details: { param: 'temperature', min: 5, max: 35 },
    });
    expect(refusal('set_mode', { mode: 'turbo' })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'mode must be one of heat, cool, off',
      details: { param: 'mode', allowed: ['heat', 'cool', 'off'] },
    });
  });

  it('checks set_temperature and set_mode against the device’s own limits', () => {
    const hvac = { min_temp: 10, max_temp: 30, modes: ['auto', 'heat'] };
    expect(refusal('set_temperature', { temperature: 33 }, hvac).message).toBe('temperature must be between 10 and 30');
    expect(parseDeviceAction('set_temperature', { temperature: 7 }, { ...hvac, min_temp: 7 }).params).toEqual({ target: 7 });
    expect(refusal('set_mode', { mode: 'cool' }, hvac).message).toBe('mode must be one of auto, heat');
    expect(parseDeviceAction('set_mode', { value: 'auto' }, hvac)).toEqual({ action: 'set_mode', params: { mode: 'auto' } });
  });

  it('refuses an action that does not exist with DEVICE_BAD_ACTION', () => {
    expect(refusal('explode', {}).code).toBe('DEVICE_BAD_ACTION');
  });

  it('lists per device what it can do, a level only with the brightness trait', () => {
    expect(actionsFor({ kind: 'light', traits: ['on_off', 'brightness'] })).toEqual([
      'get_state',
      'turn_on',
      'turn_off',
      'toggle',
      'set_brightness',
      'brightness_up',
      'brightness_down',
    ]);
    expect(actionsFor({ kind: 'light', traits: ['on_off'] })).toEqual(['get_state', 'turn_on', 'turn_off', 'toggle']);
    expect(actionsFor({ kind: 'lock', traits: ['lock'] })).toEqual(['get_state', 'lock', 'unlock', 'toggle']);
    expect(actionsFor({ kind: 'sensor', traits: ['temperature'] })).toEqual(['get_state']);
    expect(actionsFor({ kind: 'toaster', traits: [] })).toEqual(['get_state']);
    expect(requiredParams('set_temperature')).toEqual(['target']);
    expect(requiredParams('turn_on')).toEqual([]);
  });

  it('a wrong action/params pair written literally does not compile', () => {
    // Checked by `npm run typecheck` (tsconfig.test.json): each line below must be a type error.
    // @ts-expect-error set_brightness needs its brightness
    const missing: DeviceAction = { action: 'set_brightness', params: {} };
    // @ts-expect-error volume is not a parameter of set_brightness
    const wrong: DeviceAction = { action: 'set_brightness', params: { volume: 40 } };
    // @ts-expect-error lock takes no parameters
    const extra: DeviceCommand = deviceCommand('front_door', 'lock', { locked: true });
    // @ts-expect-error no such action
    const unknown: DeviceCommand = deviceCommand('front_door', 'explode');
    const right: DeviceCommand[] = [
      deviceCommand('kitchen_light', 'set_brightness', { brightness: 40 }),
      deviceCommand('thermostat', 'set_temperature', { target: 21 }),
      deviceCommand('front_door', 'lock'),
    ];
    expect([missing, wrong, extra, unknown].length + right.length).toBe(7);
    expect(right[2]).toEqual({ device_id: 'front_door', action: 'lock', params: {} });
  });
});

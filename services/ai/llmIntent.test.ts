import { describe, expect, it } from 'vitest';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { checkLlmCommand, llmMessages } from './llmIntent.js';

const home = defaultHomeRegistry();
const check = (id: string, action: string, params: Record<string, unknown> = {}) => checkLlmCommand(home.get(id)!, action, params);

describe('checking a language model’s proposed commands against the action union', () => {
  it('accepts what the device can do and returns the canonical command', () => {
    expect(check('living_room_light', 'set_brightness', { brightness: '40' })).toEqual({
      ok: true,
      command: { device_id: 'living_room_light', action: 'set_brightness', params: { brightness: 40 } },
    });
    expect(check('thermostat', 'set_temperature', { target: 22 })).toEqual({
      ok: true,
      command: { device_id: 'thermostat', action: 'set_temperature', params: { target: 22 } },
    });
    expect(check('front_door', 'lock', { please: true })).toEqual({
      ok: true,
      command: { device_id: 'front_door', action: 'lock', params: {} },
    });
  });

  it('refuses with the reason the device manager would give, never sending it', () => {
    expect(check('kitchen_light', 'set_brightness', { brightness: 150 })).toEqual({
      ok: false,
      reason: 'brightness must be between 0 and 100',
    });
    expect(check('thermostat', 'set_temperature', { target: 90 })).toEqual({ ok: false, reason: 'temperature must be between 5 and 35' });
    expect(check('thermostat', 'set_mode', { mode: 'turbo' })).toEqual({ ok: false, reason: 'mode must be one of heat, cool, off' });
    expect(check('kitchen_speaker', 'set_volume', {})).toEqual({ ok: false, reason: 'volume is required' });
    expect(check('bedroom_lamp', 'set_brightness', { brightness: 50 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot set_brightness/) as string,
    });
    // not offered to a model, though a light can toggle
    expect(check('kitchen_light', 'toggle')).toEqual({ ok: false, reason: 'unknown action "toggle"' });
  });

  it('lists each device’s offered actions with the parameters they need', () => {
    const system = llmMessages('dim the lounge', home, {})[0]!.content;
    expect(system).toContain('"actions":["turn_on","turn_off","set_brightness(brightness)"]');
    expect(system).toContain('"set_temperature(target)"');
    expect(system).toContain('brightness and volume 0-100, target 5-35 (degrees C), mode heat|cool|off');
  });
});

import { describe, expect, it } from 'vitest';
import { deviceRegistryRequestSchema } from '../../../services/lib/protocol/device.js';
import { spokenKey } from '../../../services/lib/protocol/deviceNaming.js';
import {
  emptyDeviceForm,
  fieldOfServiceError,
  initialCommands,
  parseAliases,
  slugify,
  validateDeviceForm,
  voiceExample,
} from './deviceForm.js';
import type { DeviceFormValues, KnownDevice } from './deviceForm.js';

const HOME: KnownDevice[] = [
  { device_id: 'kitchen_light', name: 'kitchen light', room: 'kitchen', aliases: ['kitchen lamp'] },
  { device_id: 'bedroom_lamp', name: 'bedroom lamp', room: 'bedroom', aliases: ['the lamp'] },
];

function form(patch: Partial<DeviceFormValues>): DeviceFormValues {
  return { ...emptyDeviceForm(), name: 'desk lamp', id: 'desk_lamp', room: 'office', ...patch };
}

function errorsOf(patch: Partial<DeviceFormValues>, existing = HOME) {
  const r = validateDeviceForm(form(patch), existing);
  return r.ok ? {} : r.errors;
}

describe('add device form', () => {
  it('builds a registry add request the contract accepts', () => {
    const r = validateDeviceForm(form({ name: '  Desk   lamp ', aliases: 'reading lamp, , lamp on my desk ' }), HOME);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request).toEqual({
      action: 'add',
      device: {
        device_id: 'desk_lamp',
        name: 'Desk lamp',
        kind: 'light',
        room: 'office',
        aliases: ['reading lamp', 'lamp on my desk'],
        traits: ['on_off', 'brightness'],
      },
    });
    expect(deviceRegistryRequestSchema.safeParse(r.request).success).toBe(true);
  });

  it('derives the id from the name as a topic-safe slug', () => {
    expect(slugify('The desk lamp #2')).toBe('desk_lamp_2');
    expect(slugify('theatre light')).toBe('theatre_light');
    expect(slugify('  Café  Über-Light ')).toBe('cafe_uber_light');
    expect(slugify('!!!')).toBe('');
    expect(slugify('x'.repeat(100))).toHaveLength(64);
  });

  it('requires a name and an id, and says why', () => {
    expect(errorsOf({ name: '   ' }).name).toMatch(/name/i);
    expect(errorsOf({ id: '' }).id).toMatch(/required/);
    // an empty form says "name" once, not also "id" (the id is derived from the name)
    expect(errorsOf({ name: '', id: '' })).toEqual({ name: expect.stringMatching(/name/) as string });
  });

  it('refuses ids that cannot be a topic level or break the id contract', () => {
    for (const id of ['Desk_Lamp', 'desk lamp', 'desk/lamp', '-lamp', 'a+b', 'x'.repeat(65)]) {
      expect(errorsOf({ id }).id, id).toMatch(/lower-case letters, digits/);
    }
    expect(errorsOf({ id: '_lamp-2' }).id).toBeUndefined();
  });

  it('refuses names nobody can say', () => {
    expect(errorsOf({ name: '1234' }).name).toMatch(/at least one word/);
    expect(errorsOf({ name: 'lamp <b>' }).name).toMatch(/letters, digits, spaces/);
    expect(errorsOf({ name: 'l'.repeat(81) }).name).toMatch(/too long/);
    expect(errorsOf({ room: 'office/2' }).room).toMatch(/letters, digits, spaces/);
    expect(errorsOf({ name: "Anna's lamp", id: 'annas_lamp' }).name).toBeUndefined();
  });

  it('refuses a name or alias another device already answers to, however it is written', () => {
    expect(errorsOf({ name: 'The Kitchen  Light', id: 'kl2' }).name).toMatch(/already means kitchen_light/);
    expect(errorsOf({ aliases: 'desk light, Kitchen Lamp' }).aliases).toMatch(/“Kitchen Lamp” already means kitchen_light/);
    // both fields get their own message at once
    expect(errorsOf({ name: 'kitchen light', id: 'kl2', aliases: 'lamp, lamp' })).toMatchObject({
      name: expect.stringMatching(/already means kitchen_light/) as string,
      aliases: expect.stringMatching(/listed twice/) as string,
    });
    // "lamp" (bedroom_lamp's alias "the lamp") taken as a name
    expect(errorsOf({ name: 'lamp', id: 'lamp2', room: '' }).name).toMatch(/already means bedroom_lamp/);
  });

  it('refuses a name that, said with its room, is another device', () => {
    // "light" in the kitchen is heard as "kitchen light"
    expect(errorsOf({ name: 'light', id: 'light2', room: 'kitchen' }).name).toMatch(/“kitchen light” already means kitchen_light/);
    expect(errorsOf({ name: 'light', id: 'light2', room: 'garage' }).name).toBeUndefined();
  });

  it('refuses repeated aliases and too many of them', () => {
    expect(errorsOf({ aliases: 'reading lamp, Reading  Lamp' }).aliases).toMatch(/listed twice/);
    expect(errorsOf({ aliases: 'desk lamp' }).aliases).toMatch(/repeats the name/);
    expect(errorsOf({ aliases: Array.from({ length: 21 }, (_, i) => `lamp ${'abcdefghijklmnopqrstu'[i]}`).join(',') }).aliases).toMatch(
      /At most 20/,
    );
  });

  it('checks the initial state per type', () => {
    expect(errorsOf({ kind: 'light', on: true, brightness: '0' }).brightness).toMatch(/1 to 100/);
    expect(errorsOf({ kind: 'light', on: true, brightness: '55.5' }).brightness).toMatch(/whole number/);
    // brightness is not asked when the light starts off or is not dimmable
    expect(errorsOf({ kind: 'light', on: false, brightness: 'x' }).brightness).toBeUndefined();
    expect(errorsOf({ kind: 'light', on: true, dimmable: false, brightness: 'x' }).brightness).toBeUndefined();
    expect(errorsOf({ kind: 'thermostat', target: '40' }).target).toMatch(/5–35 °C/);
    expect(errorsOf({ kind: 'thermostat', target: '21.3' }).target).toMatch(/steps of 0.5/);
    expect(errorsOf({ kind: 'thermostat', target: '' }).target).toBeDefined();
    expect(errorsOf({ kind: 'climate', mode: 'dry' }).mode).toMatch(/heat, cool, off/);
    expect(errorsOf({ kind: 'speaker', volume: '101' }).volume).toMatch(/0 to 100/);
    expect(errorsOf({ kind: 'sensor', readings: { temperature: false, humidity: false, motion: false } }).readings).toMatch(/at least one/);
  });

  it('sends traits only where the type has a choice', () => {
    const traitsOf = (patch: Partial<DeviceFormValues>) => {
      const r = validateDeviceForm(form(patch), HOME);
      return r.ok ? r.request.device.traits : 'invalid';
    };
    expect(traitsOf({ kind: 'light', dimmable: false })).toEqual(['on_off']);
    expect(traitsOf({ kind: 'sensor', readings: { temperature: false, humidity: true, motion: true } })).toEqual(['humidity', 'motion']);
    expect(traitsOf({ kind: 'lock' })).toBeUndefined();
    expect(traitsOf({ kind: 'switch', dimmable: true })).toBeUndefined();
  });

  it('turns the initial state into the commands that reach it from the default state', () => {
    const initialOf = (patch: Partial<DeviceFormValues>) => {
      const r = validateDeviceForm(form(patch), HOME);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.initial;
    };
    expect(initialCommands(initialOf({ kind: 'light', on: true, brightness: '40' }), { on: false, brightness: 100 })).toEqual([
      { action: 'set_brightness', params: { brightness: 40 } },
    ]);
    expect(initialCommands(initialOf({ kind: 'light', on: false }), { on: false, brightness: 100 })).toEqual([]);
    expect(initialCommands(initialOf({ kind: 'switch', on: true }), { on: false })).toEqual([{ action: 'turn_on', params: {} }]);
    expect(initialCommands(initialOf({ kind: 'thermostat', target: '22.5', mode: 'heat' }), { target: 21, mode: 'off' })).toEqual([
      { action: 'set_temperature', params: { target: 22.5 } },
      { action: 'set_mode', params: { mode: 'heat' } },
    ]);
    expect(initialCommands(initialOf({ kind: 'thermostat', target: '21', mode: 'off' }), { target: 21, mode: 'off' })).toEqual([]);
    expect(initialCommands(initialOf({ kind: 'lock', locked: false }), { locked: true })).toEqual([{ action: 'unlock', params: {} }]);
    expect(initialCommands(initialOf({ kind: 'speaker', volume: '30' }), { volume: 30 })).toEqual([]);
    expect(initialCommands(initialOf({ kind: 'speaker', volume: '65' }), { volume: 30 })).toEqual([
      { action: 'set_volume', params: { volume: 65 } },
    ]);
  });

  it('puts a duplicate-id refusal from the device manager on the id field, others on the form', () => {
    expect(fieldOfServiceError('DEVICE_EXISTS')).toBe('id');
    expect(fieldOfServiceError('SCHEMA_INVALID')).toBe('form');
    expect(fieldOfServiceError('TIMEOUT')).toBe('form');
  });

  it('suggests a voice command the intent templates know for the new device', () => {
    const example = (patch: Partial<DeviceFormValues>) => {
      const r = validateDeviceForm(form(patch), HOME);
      return r.ok ? voiceExample(r.request) : 'invalid';
    };
    expect(example({ name: 'The Desk Lamp' })).toBe('turn on the desk lamp');
    expect(example({ kind: 'thermostat', name: 'office heater', id: 'oh' })).toBe('set the office heater to 22 degrees');
    expect(example({ kind: 'lock', name: 'garage door', id: 'gd' })).toBe('unlock the garage door');
    expect(example({ kind: 'speaker', name: 'desk speaker', id: 'ds' })).toBe('play music on the desk speaker');
    expect(example({ kind: 'sensor', name: 'desk sensor', id: 'dsn' })).toBe('what is the temperature of the desk sensor');
    expect(
      example({ kind: 'sensor', name: 'door sensor', id: 'dsm', readings: { temperature: false, humidity: false, motion: true } }),
    ).toBeNull();
  });

  it('normalises what is said and what is typed the same way', () => {
    expect(spokenKey('  The Kitchen-Light! ')).toBe('kitchen light');
    expect(parseAliases(' a ,, b  c ,')).toEqual(['a', 'b c']);
  });
});

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { DeviceRecord } from './deviceTypes.js';
import { loadHomeFile } from './homeFile.js';
import { checkNaming } from './namingCheck.js';

const HOME = loadHomeFile(fileURLToPath(new URL('../../resources/home.json', import.meta.url)));
const bulb: DeviceRecord = {
  id: 'desk_bulb',
  name: 'desk bulb',
  kind: 'light',
  room: '',
  aliases: [],
  traits: ['on_off', 'brightness'],
  origin: 'homeassistant',
  config: {},
  state: { on: false },
  updated_at: 1,
};
const devices = [...HOME, bulb];
const edit = (e: { name?: string; room?: string; aliases?: string[] }) =>
  checkNaming(bulb, { id: bulb.id, kind: bulb.kind, ...e }, devices);

function refusal(f: () => unknown): { code: string; message: string; details: unknown } {
  try {
    f();
  } catch (e) {
    const err = e as { code: string; message: string; details: unknown };
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error('not refused');
}

describe('checkNaming: a registry edit of what a device is called', () => {
  it('tidies what it keeps and leaves the fields not in the edit alone', () => {
    expect(edit({ room: '  study ' })).toEqual({ name: 'desk bulb', room: 'study', aliases: [] });
    expect(edit({ name: ' reading   lamp', aliases: ['desk light ', 'work lamp'] })).toEqual({
      name: 'reading lamp',
      room: '',
      aliases: ['desk light', 'work lamp'],
    });
    // no room at all is allowed
    expect(edit({ room: '' })).toMatchObject({ room: '' });
  });

  it('writes a room the way another device already has it, so it stays one room', () => {
    expect(edit({ room: 'Living-Room' })).toMatchObject({ room: 'living room' });
    expect(edit({ room: 'The Kitchen' })).toMatchObject({ room: 'kitchen' });
  });

  it('refuses what cannot be said, with a code per field and the reason in words', () => {
    expect(refusal(() => edit({ name: '   ' }))).toMatchObject({ code: 'DEVICE_NAME_INVALID', details: { field: 'name' } });
    expect(refusal(() => edit({ name: 'lamp #2' }))).toMatchObject({
      code: 'DEVICE_NAME_INVALID',
      message: "The name may only use letters, digits, spaces, ' and -",
    });
    expect(refusal(() => edit({ name: '42' })).message).toBe('The name needs at least one word to say');
    expect(refusal(() => edit({ name: 'it' })).message).toMatch(/cannot be “it”/);
    expect(refusal(() => edit({ name: 'x'.repeat(81) })).message).toMatch(/too long/);
    expect(refusal(() => edit({ room: 'room/2' }))).toMatchObject({
      code: 'DEVICE_ROOM_INVALID',
      details: { field: 'room', value: 'room/2' },
    });
    expect(refusal(() => edit({ room: 'the' })).message).toMatch(/needs a word besides/);
    expect(refusal(() => edit({ aliases: ['ok', 'lamp!'] }))).toMatchObject({ code: 'DEVICE_ALIAS_INVALID', details: { value: 'lamp!' } });
    expect(refusal(() => edit({ aliases: ['work lamp', 'Work  Lamp'] })).message).toMatch(/listed twice/);
    expect(refusal(() => edit({ aliases: ['the desk bulb'] })).message).toMatch(/repeats the name/);
    expect(refusal(() => edit({ aliases: Array.from({ length: 21 }, (_, i) => `lamp ${'abcdefghijklmnopqrstu'[i]}`) })).message).toBe(
      'At most 20 aliases',
    );
  });

  it('refuses a phrase another device answers to (voice would be ambiguous), naming the device and the field', () => {
    expect(refusal(() => edit({ name: 'the lamp' }))).toEqual({
      code: 'DEVICE_NAME_TAKEN',
      message: '“lamp” already means bedroom_lamp: voice commands would be ambiguous',
      details: { field: 'name', value: 'lamp', device_id: 'bedroom_lamp' },
    });
    expect(refusal(() => edit({ aliases: ['reading light', 'heater'] }))).toMatchObject({
      code: 'DEVICE_NAME_TAKEN',
      details: { field: 'aliases', value: 'heater', device_id: 'thermostat' },
    });
    // "light" alone is free, but in the kitchen it becomes "kitchen light"
    expect(edit({ name: 'light' })).toMatchObject({ name: 'light' });
    expect(refusal(() => edit({ name: 'light', room: 'kitchen' }))).toMatchObject({
      code: 'DEVICE_NAME_TAKEN',
      details: { field: 'room', value: 'kitchen light', device_id: 'kitchen_light' },
    });
  });

  it('a clash the device already had does not block an unrelated edit; a new device is checked whole', () => {
    const twin = { ...bulb, id: 'twin', name: 'kitchen light' };
    const all = [...devices, twin];
    expect(checkNaming(twin, { id: 'twin', kind: 'light', room: 'study' }, all)).toMatchObject({ name: 'kitchen light', room: 'study' });
    expect(
      refusal(() => checkNaming(undefined, { id: 'new', kind: 'light', name: 'kitchen lamp', room: '', aliases: [] }, all)),
    ).toMatchObject({
      code: 'DEVICE_NAME_TAKEN',
      details: { device_id: 'kitchen_light' },
    });
  });
});

describe('checkNaming: what voice hears', () => {
  it('says so when a name is heard as another device’s phrase (voice drops the courtesy words and articles)', () => {
    expect(refusal(() => edit({ name: 'alicia lamp' }))).toEqual({
      code: 'DEVICE_NAME_TAKEN',
      message: '“alicia lamp” is heard as “lamp”, which already means bedroom_lamp: voice commands would be ambiguous',
      details: { field: 'name', value: 'lamp', device_id: 'bedroom_lamp' },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { deviceRegistryRequestSchema } from '../../../services/lib/protocol/device.js';
import { editValuesOf, fieldOfNamingError, knownRooms, validateEdit } from './deviceEdit.js';
import type { KnownDevice } from './deviceForm.js';

const HOME: KnownDevice[] = [
  { device_id: 'kitchen_light', name: 'kitchen light', room: 'kitchen', aliases: ['kitchen lamp'] },
  { device_id: 'bedroom_lamp', name: 'bedroom lamp', room: 'bedroom', aliases: ['the lamp'] },
  { device_id: 'study_sensor', name: 'study sensor', room: 'Study', aliases: [] },
];
// an adopted device as announced: a name the rules would refuse, no room
const bulb = { device_id: 'desk_bulb', name: 'desk bulb (IKEA)', room: '', aliases: [] };
const all = [...HOME, bulb];

describe('the edit form of a device card', () => {
  it('starts from the status and sends only what changed (never the announced name it did not touch)', () => {
    const v = editValuesOf(bulb);
    expect(v).toEqual({ name: 'desk bulb (IKEA)', room: '', aliases: '' });
    expect(validateEdit(v, bulb, all)).toEqual({ ok: true, request: null });
    const r = validateEdit({ ...v, room: ' study ' }, bulb, all);
    expect(r).toEqual({ ok: true, request: { action: 'rename', device_id: 'desk_bulb', room: 'study' } });
    expect(deviceRegistryRequestSchema.safeParse(r.ok && r.request).success).toBe(true);
    expect(validateEdit({ name: 'desk lamp', room: 'study', aliases: 'reading light, work lamp' }, bulb, all)).toEqual({
      ok: true,
      request: { action: 'rename', device_id: 'desk_bulb', name: 'desk lamp', room: 'study', aliases: ['reading light', 'work lamp'] },
    });
  });

  it('says what is wrong per field, in words, before anything is sent', () => {
    const r = validateEdit({ name: '', room: 'room #2', aliases: 'ok, ok' }, bulb, all);
    expect(r).toEqual({
      ok: false,
      errors: {
        name: 'Give the device a name, e.g. desk lamp',
        room: "The room may only use letters, digits, spaces, ' and -",
        aliases: '“ok” is listed twice (or repeats the name)',
      },
    });
  });

  it('refuses a phrase another device answers to, but not the device’s own', () => {
    expect(validateEdit({ name: 'the lamp', room: '', aliases: '' }, bulb, all)).toEqual({
      ok: false,
      errors: { name: '“the lamp” already means bedroom_lamp: voice commands would be ambiguous' },
    });
    expect(validateEdit({ name: 'desk lamp', room: '', aliases: 'kitchen lamp' }, bulb, all)).toMatchObject({
      ok: false,
      errors: { aliases: expect.stringMatching(/already means kitchen_light/) },
    });
    const lamp = HOME[1]!;
    expect(validateEdit({ ...editValuesOf(lamp), room: 'bedroom ' }, lamp, all)).toEqual({ ok: true, request: null });
  });

  it('reads the field of a device manager refusal; offers the rooms the home has, one per spoken room', () => {
    expect(fieldOfNamingError({ field: 'room', value: 'x' })).toBe('room');
    expect(fieldOfNamingError({ field: 'kind' })).toBeUndefined();
    expect(fieldOfNamingError(undefined)).toBeUndefined();
    expect(knownRooms([...all, { room: 'the study' }, { room: 'kitchen' }])).toEqual(['bedroom', 'kitchen', 'Study']);
  });
});

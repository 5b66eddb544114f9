import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { AliciaError } from '../lib/protocol/errors.js';
import { findDefaultHomeFile, parseHomeFile } from './homeFile.js';

describe('default home file', () => {
  it('resources/home.json is found and holds the seven devices of the default home', () => {
    const path = findDefaultHomeFile();
    expect(path).toMatch(/resources\/home\.json$/);
    const devices = parseHomeFile(readFileSync(path!, 'utf8'), path!);
    expect(devices.map((d) => d.id).sort()).toEqual(
      ['bedroom_lamp', 'front_door', 'hallway_sensor', 'kitchen_light', 'kitchen_speaker', 'living_room_light', 'thermostat'].sort(),
    );
    const byId = Object.fromEntries(devices.map((d) => [d.id, d]));
    expect(byId.kitchen_light?.traits).toContain('brightness');
    expect(byId.bedroom_lamp?.traits).not.toContain('brightness');
    expect(byId.bedroom_lamp?.aliases).toContain('the lamp');
    expect(byId.kitchen_speaker?.aliases).toContain('music');
    expect(byId.thermostat?.state).toMatchObject({ target: 21, mode: 'heat' });
    expect(byId.front_door).toMatchObject({ kind: 'lock', room: 'hallway', state: { locked: true } });
  });
  it('a bad file is a CONFIG_INVALID error naming the file and the key', () => {
    const bad = JSON.stringify({ version: 1, devices: [{ id: 'x', name: 'X', kind: 'toaster' }] });
    let err: unknown;
    try {
      parseHomeFile(bad, '/tmp/home.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AliciaError);
    expect((err as AliciaError).code).toBe('CONFIG_INVALID');
    expect((err as AliciaError).message).toMatch(/^\/tmp\/home\.json: devices\[0\]\.kind: /);
    expect(() => parseHomeFile('{"version":1,"devices":[{"id":"a","name":"A","kind":"light","colour":"red"}]}', 'h.json')).toThrow(
      /h\.json: devices\[0\]/,
    );
    expect(() => parseHomeFile('{ nope', 'h.json')).toThrow(/h\.json: not valid JSON/);
  });
});

import { describe, expect, it } from 'vitest';
import { canDo, parseDeviceAction } from '../protocol/deviceActions.js';
import { DeviceRegistry } from './deviceRegistry.js';
import { matchIntent } from './matcher.js';
import { normalize } from './normalize.js';
import { defaultHomeDevices, defaultHomeRegistry } from './testing/defaultHome.js';

const home = defaultHomeRegistry();
const m = (text: string, ctx = {}) => matchIntent(text, home, ctx, { now: new Date(2026, 10, 27, 15, 5) });

describe('normalize', () => {
  it('lower-cases, expands contractions, units and strips courtesy words', () => {
    expect(normalize("Hey Alicia, what's the temperature?")).toEqual(['what', 'is', 'the', 'temperature']);
    expect(normalize('Please set the kitchen light to 50%.')).toEqual(['set', 'the', 'kitchen', 'light', 'to', '50', 'percent']);
    expect(normalize('Set the thermostat to 21.5°C, thanks')).toEqual(['set', 'the', 'thermostat', 'to', '21.5', 'degrees']);
  });
});

describe('matchIntent on the default home', () => {
  const cases: Array<[string, string, Array<[string, string, Record<string, unknown>?]>]> = [
    ['turn on the kitchen light', 'turn_on', [['kitchen_light', 'turn_on']]],
    ['Switch off the living room light', 'turn_off', [['living_room_light', 'turn_off']]],
    ['turn the bedroom lamp on', 'turn_on', [['bedroom_lamp', 'turn_on']]],
    ['turn on the light in the kitchen', 'turn_on', [['kitchen_light', 'turn_on']]],
    ['turn off the lights in the living room', 'turn_off', [['living_room_light', 'turn_off']]],
    [
      'turn off all the lights',
      'turn_off',
      [
        ['bedroom_lamp', 'turn_off'],
        ['kitchen_light', 'turn_off'],
        ['living_room_light', 'turn_off'],
      ],
    ],
    ['set the kitchen light to fifty percent', 'set_brightness', [['kitchen_light', 'set_brightness', { brightness: 50 }]]],
    ['set the living room light to 30%', 'set_brightness', [['living_room_light', 'set_brightness', { brightness: 30 }]]],
    ['dim the kitchen light to twenty', 'set_brightness', [['kitchen_light', 'set_brightness', { brightness: 20 }]]],
    ['set the thermostat to twenty one degrees', 'set_temperature', [['thermostat', 'set_temperature', { target: 21 }]]],
    ['set the thermostat to 22', 'set_temperature', [['thermostat', 'set_temperature', { target: 22 }]]],
    ['set the temperature to nineteen point five degrees', 'set_temperature', [['thermostat', 'set_temperature', { target: 19.5 }]]],
    ['set the thermostat to cool', 'set_mode', [['thermostat', 'set_mode', { mode: 'cool' }]]],
    ['set the heating to off', 'set_mode', [['thermostat', 'set_mode', { mode: 'off' }]]],
    ['lock the front door', 'lock', [['front_door', 'lock']]],
    ['unlock the door', 'unlock', [['front_door', 'unlock']]],
    ['volume up', 'volume_up', [['kitchen_speaker', 'volume_up']]],
    ['turn the volume down', 'volume_down', [['kitchen_speaker', 'volume_down']]],
    ['set the volume to forty', 'set_volume', [['kitchen_speaker', 'set_volume', { volume: 40 }]]],
    ['set the kitchen speaker to 25 percent', 'set_volume', [['kitchen_speaker', 'set_volume', { volume: 25 }]]],
    ['play music', 'play_music', [['kitchen_speaker', 'play']]],
    ['play some music on the kitchen speaker', 'play_music', [['kitchen_speaker', 'play']]],
    ['pause the music', 'pause_music', [['kitchen_speaker', 'pause']]],
    ['stop the music', 'pause_music', [['kitchen_speaker', 'pause']]],
  ];
  it.each(cases)('"%s" -> %s', (text, intent, commands) => {
    const r = m(text);
    expect(r.understood).toBe(true);
    expect(r.intent.name).toBe(intent);
    expect(r.commands).toEqual(commands.map(([device_id, action, params]) => ({ device_id, action, params: params ?? {} })));
    expect(r.response_text.length).toBeGreaterThan(5);
  });

  it('builds only commands the device manager accepts as they are (canonical actions of the union)', () => {
    for (const [text] of cases) {
      for (const c of m(text).commands) {
        const d = home.get(c.device_id)!;
        expect(canDo(d, c.action), `${text}: ${c.action}`).toBe(true);
        expect({ action: c.action, params: c.params }).toEqual(parseDeviceAction(c.action, c.params));
      }
    }
  });

  it('answers questions by naming the device state field the router fills {value} from', () => {
    const t = m('what is the temperature in the hallway');
    expect(t).toMatchObject({
      understood: true,
      intent: { name: 'get_temperature' },
      commands: [],
      query: { device_id: 'hallway_sensor', field: 'temperature' },
    });
    expect(t.response_text).toBe('It is {value} degrees in the hallway.');
    expect(m("what's the temperature").query).toEqual({ device_id: 'hallway_sensor', field: 'temperature' });
    expect(m('what is the temperature in the living room').query).toEqual({ device_id: 'thermostat', field: 'current' });
    expect(m('is the kitchen light on')).toMatchObject({
      intent: { name: 'get_state' },
      response_text: 'The kitchen light is {value}.',
      query: { device_id: 'kitchen_light', field: 'on' },
    });
    expect(m('is the front door locked')).toMatchObject({
      response_text: 'The front door is {value}.',
      query: { device_id: 'front_door', field: 'locked' },
    });
    expect(m('what time is it')).toMatchObject({ intent: { name: 'get_time' }, response_text: 'It is 3:05 PM.' });
    expect(m('never mind')).toMatchObject({ understood: true, intent: { name: 'cancel' }, commands: [] });
  });

  it('follows up on the previous device through the context', () => {
    const first = m('turn on the kitchen light');
    expect(first.context).toMatchObject({ last_device_id: 'kitchen_light', last_intent: 'turn_on', last_room: 'kitchen' });
    const off = m('turn it off', first.context);
    expect(off.commands).toEqual([{ device_id: 'kitchen_light', action: 'turn_off', params: {} }]);
    // kitchen_light brightness is 80 in the home file: brighter = +25, capped at 100
    expect(m('make it brighter', first.context).commands).toEqual([
      { device_id: 'kitchen_light', action: 'set_brightness', params: { brightness: 100 } },
    ]);
    expect(m('make it dimmer', first.context).commands).toEqual([
      { device_id: 'kitchen_light', action: 'set_brightness', params: { brightness: 55 } },
    ]);
    expect(m('set it to ten percent', first.context).commands[0]).toMatchObject({ device_id: 'kitchen_light', params: { brightness: 10 } });
    const door = m('lock the front door');
    expect(m('unlock it', door.context).commands).toEqual([{ device_id: 'front_door', action: 'unlock', params: {} }]);
  });

  it('without context a pronoun is not understood (never a guessed device)', () => {
    const r = m('turn it off');
    expect(r.understood).toBe(false);
    expect(r.commands).toEqual([]);
  });

  it('refuses what a device cannot do instead of commanding another device', () => {
    const lamp = m('set the bedroom lamp to 50 percent');
    expect(lamp).toMatchObject({ understood: false, commands: [], response_text: 'The bedroom lamp cannot be dimmed.' });
    expect(m('lock the kitchen light')).toMatchObject({ understood: false, commands: [] });
    expect(m('set the thermostat to 90 degrees')).toMatchObject({ understood: false, commands: [] });
    expect(m('set the kitchen light to 150 percent')).toMatchObject({ understood: false, commands: [] });
    expect(m('set the front door to 20 degrees')).toMatchObject({ understood: false, commands: [] });
  });

  it('does not understand sentences outside the templates, with a helpful reply', () => {
    for (const text of ['what a lovely day it is', 'please call my mother', 'turn on the toaster', 'kitchen light']) {
      const r = m(text);
      expect(r.understood).toBe(false);
      expect(r.commands).toEqual([]);
      expect(r.intent.name).toBe('unknown');
    }
    expect(m('what a lovely day it is').response_text).toMatch(/did not understand .*turn on the kitchen light/);
  });

  it('learns new devices, renames and aliases from the registry', () => {
    const reg = new DeviceRegistry();
    for (const d of defaultHomeDevices()) reg.upsert(d);
    expect(matchIntent('turn on the garage light', reg).understood).toBe(false);
    const garage = (state: Record<string, unknown>) => ({
      device_id: 'garage_light',
      name: 'garage light',
      kind: 'light',
      room: 'garage',
      aliases: ['workshop lamp'],
      traits: ['on_off'],
      state,
      online: true,
    });
    expect(reg.upsert(garage({}))).toBe(true);
    expect(matchIntent('turn on the garage light', reg).commands[0]?.device_id).toBe('garage_light');
    expect(matchIntent('turn on the workshop lamp', reg).commands[0]?.device_id).toBe('garage_light');
    expect(matchIntent('turn on the lights in the garage', reg).commands).toHaveLength(1);
    // a state-only update does not change the vocabulary (no grammar rebuild)
    expect(reg.upsert(garage({ on: true }))).toBe(false);
    reg.remove('garage_light');
    expect(matchIntent('turn on the garage light', reg).understood).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { AliciaError } from '../lib/protocol/errors.js';
import { availabilityOf, onlineOf, planCommand, reflectState } from './haBridge.js';
import { parseHaConfig } from './haConfig.js';
import type { HaEntity } from './haEntity.js';

function entity(topic: string, cfg: Record<string, unknown>): HaEntity {
  const r = parseHaConfig(topic, cfg);
  if (!r.ok) throw new Error(r.reason);
  return r.entity;
}
const payloads = (p: { messages: { topic: string; payload: string }[] }) => p.messages.map((m) => `${m.topic} ${m.payload}`);

describe('HA light (default schema)', () => {
  const e = entity('homeassistant/light/n/lamp/config', {
    cmd_t: 'lamp/set',
    stat_t: 'lamp/state',
    bri_cmd_t: 'lamp/bri/set',
    bri_stat_t: 'lamp/bri',
    pl_on: 'on',
    pl_off: 'off',
  });
  it('turn_on sends payload_on; with brightness, brightness first then ON (on_command_type last), scaled to 255', () => {
    expect(payloads(planCommand(e, 'turn_on', {}, { on: false, brightness: 100 }))).toEqual(['lamp/set on']);
    const p = planCommand(e, 'set_brightness', { brightness: 50 }, { on: false, brightness: 100 });
    expect(payloads(p)).toEqual(['lamp/bri/set 128', 'lamp/set on']);
    expect(p.confirmTopics).toEqual(['lamp/state', 'lamp/bri']);
    expect(p.predicted).toEqual({ on: true, brightness: 50 });
    expect(payloads(planCommand(e, 'turn_off', {}, { on: true, brightness: 50 }))).toEqual(['lamp/set off']);
  });
  it('reflects state and brightness topics', () => {
    expect(reflectState(e, 'lamp/state', 'on', { on: false, brightness: 100 })).toEqual({ on: true, brightness: 100 });
    expect(reflectState(e, 'lamp/bri', '51', { on: true, brightness: 100 })).toEqual({ on: true, brightness: 20 });
    expect(reflectState(e, 'lamp/state', 'garbage', { on: false })).toBeUndefined();
  });
  it('optimistic when there is no state topic', () => {
    const o = entity('homeassistant/light/n/o/config', { cmd_t: 'o/set' });
    expect(planCommand(o, 'turn_on', {}, { on: false }).confirmTopics).toEqual([]);
  });
});

describe('HA light (json schema)', () => {
  const e = entity('homeassistant/light/z/config', { schema: 'json', cmd_t: 'z2m/lamp/set', stat_t: 'z2m/lamp', brightness: true });
  it('sends one JSON command and reads JSON state', () => {
    expect(payloads(planCommand(e, 'set_brightness', { brightness: 100 }, { on: false, brightness: 10 }))).toEqual([
      'z2m/lamp/set {"state":"ON","brightness":255}',
    ]);
    expect(payloads(planCommand(e, 'turn_off', {}, { on: true, brightness: 10 }))).toEqual(['z2m/lamp/set {"state":"OFF"}']);
    expect(reflectState(e, 'z2m/lamp', '{"state":"ON","brightness":127,"linkquality":80}', { on: false, brightness: 10 })).toEqual({
      on: true,
      brightness: 50,
    });
  });
});

describe('HA switch, lock, climate, sensors', () => {
  it('switch state_on/state_off differ from payloads (Tasmota style with a template)', () => {
    const e = entity('homeassistant/switch/plug/config', {
      cmd_t: 'cmnd/plug/POWER',
      stat_t: 'tele/plug/STATE',
      val_tpl: '{{ value_json.POWER }}',
      pl_on: 'ON',
      pl_off: 'OFF',
    });
    expect(payloads(planCommand(e, 'toggle', {}, { on: false }))).toEqual(['cmnd/plug/POWER ON']);
    expect(reflectState(e, 'tele/plug/STATE', '{"POWER":"OFF"}', { on: true })).toEqual({ on: false });
  });
  it('lock payloads and states', () => {
    const e = entity('homeassistant/lock/door/config', { cmd_t: 'door/set', stat_t: 'door/state', pl_lock: 'L', pl_unlk: 'U' });
    expect(payloads(planCommand(e, 'unlock', {}, { locked: true }))).toEqual(['door/set U']);
    expect(reflectState(e, 'door/state', 'UNLOCKED', { locked: true })).toEqual({ locked: false });
  });
  it('climate temperature and mode command topics, range from the config', () => {
    const e = entity('homeassistant/climate/hvac/config', {
      temp_cmd_t: 'hvac/t/set',
      mode_cmd_t: 'hvac/m/set',
      temp_stat_t: 'hvac/t',
      curr_temp_t: 'hvac/cur',
      modes: ['off', 'heat'],
      min_temp: 10,
      max_temp: 30,
    });
    expect(payloads(planCommand(e, 'set_temperature', { temperature: 23 }, { target: 21, mode: 'off', current: null }))).toEqual([
      'hvac/t/set 23',
    ]);
    expect(payloads(planCommand(e, 'set_mode', { mode: 'heat' }, { target: 21, mode: 'off' }))).toEqual(['hvac/m/set heat']);
    expect(() => planCommand(e, 'set_mode', { mode: 'cool' }, { target: 21 })).toThrow(AliciaError);
    expect(() => planCommand(e, 'set_temperature', { temperature: 33 }, { target: 21 })).toThrow(/between 10 and 30/);
    expect(reflectState(e, 'hvac/cur', '19.5', { target: 21, mode: 'off', current: null })).toMatchObject({ current: 19.5 });
  });
  it('sensors take numbers, binary sensors booleans; sensors accept no commands', () => {
    const t = entity('homeassistant/sensor/n/t/config', { stat_t: 'n/t', dev_cla: 'temperature', val_tpl: '{{ value_json.temperature }}' });
    expect(reflectState(t, 'n/t', '{"temperature":21.7}', { temperature: null })).toEqual({ temperature: 21.7 });
    expect(() => planCommand(t, 'turn_on', {}, {})).toThrow(/cannot/);
    const m = entity('homeassistant/binary_sensor/n/pir/config', { stat_t: 'n/pir', dev_cla: 'motion' });
    expect(reflectState(m, 'n/pir', 'ON', { motion: false })).toEqual({ motion: true });
  });
});

describe('availability', () => {
  it('latest mode follows the last message; until the first message the device is unavailable', () => {
    const e = entity('homeassistant/switch/p/config', { cmd_t: 'p/set', avty_t: 'p/lwt', pl_avail: 'Online', pl_not_avail: 'Offline' });
    expect(onlineOf(e, new Map(), undefined)).toBe(false);
    expect(availabilityOf(e, 'p/lwt', 'Online')).toBe(true);
    expect(availabilityOf(e, 'p/lwt', 'Offline')).toBe(false);
    expect(availabilityOf(e, 'p/lwt', 'maybe')).toBeUndefined();
    expect(onlineOf(e, new Map([['p/lwt', true]]), true)).toBe(true);
  });
  it('all mode needs every topic', () => {
    const e = entity('homeassistant/switch/p/config', { cmd_t: 'p/set', avty: [{ t: 'a' }, { t: 'b' }], avty_mode: 'all' });
    expect(onlineOf(e, new Map([['a', true]]), true)).toBe(false);
    expect(
      onlineOf(
        e,
        new Map([
          ['a', true],
          ['b', true],
        ]),
        true,
      ),
    ).toBe(true);
  });
});

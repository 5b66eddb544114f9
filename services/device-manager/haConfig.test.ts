import { describe, expect, it } from 'vitest';
import { parseHaConfig } from './haConfig.js';
import { entityDeviceId, entityStateTopics, sanitizeId } from './haEntity.js';
import type { HaEntity } from './haEntity.js';
import { compileTemplate } from './haTemplate.js';

function entity(topic: string, cfg: Record<string, unknown>): HaEntity {
  const r = parseHaConfig(topic, cfg);
  if (!r.ok) throw new Error(r.reason);
  return r.entity;
}

describe('Home Assistant discovery config parsing', () => {
  it('a default-schema light: dimmable when it has a brightness command topic; id from object id', () => {
    const e = entity('homeassistant/light/test_node/desk_lamp/config', {
      name: 'Desk lamp',
      cmd_t: 'lamps/desk/set',
      stat_t: 'lamps/desk/state',
      bri_cmd_t: 'lamps/desk/bri',
      bri_scl: 100,
    });
    expect(e).toMatchObject({
      kind: 'light',
      schema: 'default',
      payload_on: 'ON',
      payload_off: 'OFF',
      brightness_scale: 100,
      traits: ['on_off', 'brightness'],
    });
    expect(entityDeviceId(e)).toBe('desk_lamp');
    expect(entityStateTopics(e)).toEqual(['lamps/desk/state']);
  });
  it('a json-schema Zigbee2MQTT light with unique_id, availability and suggested area', () => {
    const e = entity('homeassistant/light/0x0017880104e45517/light/config', {
      schema: 'json',
      name: null,
      uniq_id: '0x0017880104e45517_light_zigbee2mqtt',
      cmd_t: 'zigbee2mqtt/Hue Go/set',
      stat_t: 'zigbee2mqtt/Hue Go',
      brightness: true,
      sup_clrm: ['xy', 'color_temp'],
      avty: [{ topic: 'zigbee2mqtt/bridge/state', value_template: '{{ value_json.state }}' }],
      dev: { name: 'Hue Go', sa: 'Study' },
    });
    expect(e).toMatchObject({
      kind: 'light',
      schema: 'json',
      name: 'Hue Go',
      room: 'Study',
      traits: ['on_off', 'brightness'],
      unsupported_templates: [],
    });
    expect(entityDeviceId(e)).toBe('0x0017880104e45517_light_zigbee2mqtt');
    expect(e.availability[0]).toMatchObject({ payload_available: 'online', payload_not_available: 'offline' });
  });
  it('lock, climate, sensor and binary_sensor defaults', () => {
    expect(entity('homeassistant/lock/door/config', { cmd_t: 'door/set', stat_t: 'door/state' })).toMatchObject({
      kind: 'lock',
      payload_lock: 'LOCK',
      state_unlocked: 'UNLOCKED',
    });
    const cl = entity('homeassistant/climate/hvac/config', {
      temp_cmd_t: 'hvac/target/set',
      mode_cmd_t: 'hvac/mode/set',
      curr_temp_t: 'hvac/current',
      modes: ['off', 'heat'],
    });
    expect(cl).toMatchObject({
      kind: 'climate',
      modes: ['off', 'heat'],
      min_temp: 7,
      max_temp: 35,
      traits: ['temperature_setpoint', 'hvac_mode', 'current_temperature'],
    });
    expect(entity('homeassistant/sensor/n/t/config', { stat_t: 'n/t', dev_cla: 'temperature', unit_of_meas: '°C' })).toMatchObject({
      kind: 'sensor',
      state_key: 'temperature',
    });
    expect(entity('homeassistant/binary_sensor/n/pir/config', { stat_t: 'n/pir', dev_cla: 'motion' })).toMatchObject({
      kind: 'sensor',
      state_key: 'motion',
    });
  });
  it('bad configs are refused with a reason, never thrown', () => {
    const bad = (topic: string, cfg: Record<string, unknown>) => {
      const r = parseHaConfig(topic, cfg);
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.reason;
    };
    expect(bad('homeassistant/light/x/config', { stat_t: 'x/state' })).toMatch(/no command_topic/);
    expect(bad('homeassistant/light/x/config', { cmd_t: 'x/+/set' })).toMatch(/command_topic/);
    expect(bad('homeassistant/switch/x/config', { cmd_t: 'alicia/device/command' })).toMatch(/alicia/);
    expect(bad('homeassistant/switch/x/config', { cmd_t: 'homeassistant/switch/x/set' })).toMatch(/homeassistant/);
    expect(bad('homeassistant/fan/x/config', { cmd_t: 'x/set' })).toMatch(/not supported/);
    expect(bad('homeassistant/light/x/config', { cmd_t: 42 })).toMatch(/command_topic/);
    expect(bad('homeassistant/light/x/config', { cmd_t: 'x/set', schema: 'template' })).toMatch(/template/);
  });
  it('sanitizes ids to the device id alphabet', () => {
    expect(sanitizeId('Hue Go (Study)!')).toBe('hue_go_study');
    expect(sanitizeId('---')).toBe('ha_device');
    expect(sanitizeId('a'.repeat(100))).toHaveLength(64);
  });
});

describe('value templates', () => {
  it('supports value, value_json paths and common filters; refuses the rest', () => {
    expect(compileTemplate('{{ value_json.state }}')!.render('{"state":"ON"}')).toBe('ON');
    expect(compileTemplate("{{ value_json['temp'] | float | round(1) }}")!.render('{"temp":"21.46"}')).toBe(21.5);
    expect(compileTemplate('{{ value_json.a.b[1] }}')!.render('{"a":{"b":[1,2]}}')).toBe(2);
    expect(compileTemplate('{{value|upper}}')!.render('on')).toBe('ON');
    expect(compileTemplate('{{ value_json.x }}')!.render('not json')).toBeUndefined();
    expect(compileTemplate('{% if value == "1" %}ON{% endif %}')).toBeUndefined();
    expect(compileTemplate('{{ value_json.x * 2 }}')).toBeUndefined();
  });
});

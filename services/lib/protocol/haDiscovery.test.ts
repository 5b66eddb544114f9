import { describe, expect, it } from 'vitest';
import { discoveryTopics, expandConfig, parseDiscoveryTopic } from './haDiscovery.js';

describe('Home Assistant discovery config topics and expansion', () => {
  it('parses discovery topics with and without node id', () => {
    expect(parseDiscoveryTopic('homeassistant/light/test_node/desk_lamp/config')).toEqual({
      component: 'light',
      node_id: 'test_node',
      object_id: 'desk_lamp',
    });
    expect(parseDiscoveryTopic('homeassistant/switch/plug1/config')).toEqual({ component: 'switch', object_id: 'plug1' });
    expect(parseDiscoveryTopic('homeassistant/switch/plug 1/config')).toBeUndefined();
  });
  it('expands abbreviations and the ~ base topic (leading and trailing), also in availability[]', () => {
    const c = expandConfig({
      '~': 'tasmota/plug',
      cmd_t: '~/cmnd/POWER',
      stat_t: 'stat/~',
      avty: [{ t: '~/LWT', pl_avail: 'Online' }],
      dev: { ids: ['x'], sa: 'office' },
    });
    expect(c).toMatchObject({
      command_topic: 'tasmota/plug/cmnd/POWER',
      state_topic: 'stat/tasmota/plug',
      availability: [{ topic: 'tasmota/plug/LWT', payload_available: 'Online' }],
      device: { identifiers: ['x'], suggested_area: 'office' },
    });
    expect(c['~']).toBeUndefined();
  });
  it('sorts the topics a config names by direction: command topics to the device, the rest from it', () => {
    const t = discoveryTopics(
      expandConfig({
        '~': 'porchplug/',
        stat_t: '~stat/POWER',
        avty_t: '~tele/LWT',
        cmd_t: '~cmnd/POWER',
        bri_cmd_t: '~cmnd/Dimmer',
        json_attr_t: '',
        avty: [{ t: 'bridge/state' }, { t: 42 }],
      }),
    );
    expect(t.toDevice.sort()).toEqual(['porchplug/cmnd/Dimmer', 'porchplug/cmnd/POWER']);
    expect(t.fromDevice.sort()).toEqual(['bridge/state', 'porchplug/stat/POWER', 'porchplug/tele/LWT']);
  });
});

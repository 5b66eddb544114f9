import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { BridgeRoutes } from './bridgeRoutes.js';

function routes(bridge: Record<string, unknown> = {}): BridgeRoutes {
  const [settings] = parseConfig({ broker: { bridges: [{ name: 'b', url: 'mqtt://x', ...bridge }] } }, 'config.json').broker.bridges;
  return new BridgeRoutes(settings!);
}

const z2mLight = {
  availability: [{ topic: 'zigbee2mqtt/bridge/state', value_template: '{{ value_json.state }}' }],
  command_topic: 'zigbee2mqtt/desk bulb/set',
  state_topic: 'zigbee2mqtt/desk bulb',
  schema: 'json',
};
const cfg = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('bridge routes', () => {
  it('holds homeassistant/# in by default, plus the configured filters with their QoS', () => {
    const r = routes({ topics: { in: [{ filter: 'tele/#', qos: 0 }], out: [{ filter: 'cmnd/#' }] } });
    expect(r.inFilters()).toEqual([
      { filter: 'homeassistant/#', qos: 1 },
      { filter: 'tele/#', qos: 0 },
    ]);
    expect(r.outFilters()).toEqual([{ filter: 'cmnd/#', qos: 1 }]);
    expect(r.isDiscoveryConfig('homeassistant/light/0x00158d0001/light/config')).toBe(true);
    expect(r.isDiscoveryConfig('homeassistant/status')).toBe(false);
    expect(routes({ home_assistant: { enabled: false } }).inFilters()).toEqual([]);
    expect(routes({ home_assistant: { prefix: 'ha' } }).isDiscoveryConfig('ha/switch/plug/config')).toBe(true);
  });

  it('follows the state and availability topics in and the command topics out of an adopted config, and drops them with it', () => {
    const r = routes();
    const added = r.followConfig('homeassistant/light/0x00158d0001/light/config', cfg(z2mLight));
    expect(added.in.add.map((x) => x.filter).sort()).toEqual(['zigbee2mqtt/bridge/state', 'zigbee2mqtt/desk bulb']);
    expect(added.out.add).toEqual([{ filter: 'zigbee2mqtt/desk bulb/set', qos: 1 }]);
    expect(r.holdsIn('zigbee2mqtt/desk bulb')).toBe(true);
    expect(r.holdsOut('zigbee2mqtt/desk bulb/set')).toBe(true);
    // the same config again (a retained copy after a reconnect): nothing changes
    expect(r.followConfig('homeassistant/light/0x00158d0001/light/config', cfg(z2mLight))).toEqual({
      in: { add: [], remove: [] },
      out: { add: [], remove: [] },
    });
    // removed (empty retained payload): everything it named goes
    const removed = r.followConfig('homeassistant/light/0x00158d0001/light/config', Buffer.alloc(0));
    expect(removed.in.remove.sort()).toEqual(['zigbee2mqtt/bridge/state', 'zigbee2mqtt/desk bulb']);
    expect(removed.out.remove).toEqual(['zigbee2mqtt/desk bulb/set']);
    expect(r.holdsOut('zigbee2mqtt/desk bulb/set')).toBe(false);
  });

  it('keeps a topic two configs name until the last one goes; a changed config swaps only what changed', () => {
    const r = routes();
    r.followConfig('homeassistant/light/a/config', cfg(z2mLight));
    const second = r.followConfig(
      'homeassistant/light/b/config',
      cfg({ ...z2mLight, state_topic: 'zigbee2mqtt/lamp', command_topic: 'zigbee2mqtt/lamp/set' }),
    );
    // the shared availability topic is held already
    expect(second.in.add.map((x) => x.filter)).toEqual(['zigbee2mqtt/lamp']);
    expect(r.followConfig('homeassistant/light/a/config', Buffer.alloc(0)).in.remove).toEqual(['zigbee2mqtt/desk bulb']);
    expect(r.holdsIn('zigbee2mqtt/bridge/state')).toBe(true);
    const changed = r.followConfig(
      'homeassistant/light/b/config',
      cfg({ ...z2mLight, state_topic: 'zigbee2mqtt/lamp2', command_topic: 'zigbee2mqtt/lamp/set' }),
    );
    expect(changed).toEqual({
      in: { add: [{ filter: 'zigbee2mqtt/lamp2', qos: 1 }], remove: ['zigbee2mqtt/lamp'] },
      out: { add: [], remove: [] },
    });
  });

  it('expands abbreviations and ~ (Tasmota), and never follows alicia/, $ or topics a configured filter covers', () => {
    const r = routes({ topics: { in: [{ filter: 'porchplug/tele/#' }] } });
    const c = r.followConfig(
      'homeassistant/switch/DC4F22_RL_1/config',
      cfg({ '~': 'porchplug/', stat_t: '~stat/POWER', avty_t: '~tele/LWT', cmd_t: '~cmnd/POWER' }),
    );
    expect(c.in.add.map((x) => x.filter)).toEqual(['porchplug/stat/POWER']);
    expect(c.out.add.map((x) => x.filter)).toEqual(['porchplug/cmnd/POWER']);
    const hostile = r.followConfig(
      'homeassistant/switch/evil/config',
      cfg({ state_topic: 'alicia/voice/command', command_topic: 'alicia/device/command', availability_topic: '$SYS/broker/uptime' }),
    );
    expect(hostile).toEqual({ in: { add: [], remove: [] }, out: { add: [], remove: [] } });
    expect(r.followConfig('homeassistant/switch/junk/config', Buffer.from('not json')).in.add).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { isDeviceName, isDevicePrincipal } from '../../../services/lib/protocol/services.js';
import { HOST_ONLY_TOPICS, canPublish, canSubscribe, deviceDiscoveryConfigRefusal } from './acl.js';

/** Per-device principals: an external device cannot write outside its own topics (docs/security.md). */
describe('device:<name> ACL', () => {
  it('accepts only [a-z0-9_-]{1,40} names that are not alicia/homeassistant', () => {
    expect(isDeviceName('lamp1')).toBe(true);
    expect(isDeviceName('tasmota_ab12-x')).toBe(true);
    for (const bad of ['', 'Lamp', 'a/b', 'a+b', '#', '$SYS', 'alicia', 'homeassistant', 'x'.repeat(41), 'lamp 1']) {
      expect(isDeviceName(bad), bad).toBe(false);
    }
    expect(isDevicePrincipal('device:lamp1')).toBe(true);
    expect(isDevicePrincipal('device:alicia')).toBe(false);
    expect(isDevicePrincipal('lamp1')).toBe(false);
  });

  it('publishes its own tree and its own discovery configs', () => {
    for (const t of [
      'lamp1',
      'lamp1/stat/POWER',
      'lamp1/tele/LWT',
      'homeassistant/light/lamp1/config',
      'homeassistant/light/lamp1/main/config',
    ]) {
      expect(canPublish('device:lamp1', t), t).toBe(true);
    }
  });

  it('publishes nothing else', () => {
    for (const t of [
      'lamp2/cmnd/POWER', // another device's prefix
      'lamp10/x', // a name sharing a prefix string is another level value
      'alicia/device/command',
      'alicia/device/status/lamp1',
      'alicia/system/credentials/request',
      'alicia/system/host',
      '$SYS/alicia/broker/stats',
      'homeassistant/light/lamp2/config',
      'homeassistant/light/lamp2/lamp1/config',
      'homeassistant/status',
      'homeassistant/light/lamp1/main/extra/config',
      'zigbee2mqtt/bridge/request/permit_join',
    ]) {
      expect(canPublish('device:lamp1', t), t).toBe(false);
    }
  });

  it('subscribes to its own tree and the HA birth message only', () => {
    expect(canSubscribe('device:lamp1', 'lamp1/#')).toBe(true);
    expect(canSubscribe('device:lamp1', 'lamp1/cmnd/+')).toBe(true);
    expect(canSubscribe('device:lamp1', 'homeassistant/status')).toBe(true);
    for (const f of [
      '#',
      '+/cmnd/POWER',
      'lamp2/#',
      'alicia/#',
      'alicia/device/status/+',
      'homeassistant/#',
      '$SYS/#',
      'homeassistant/+/lamp1/config',
    ]) {
      expect(canSubscribe('device:lamp1', f), f).toBe(false);
    }
  });

  it('alicia/system/host is published by the host only: refused for every client principal', () => {
    for (const t of HOST_ONLY_TOPICS) {
      for (const p of ['operator', 'window', 'device-manager', 'health-monitor', 'device:lamp1'] as const) {
        expect(canPublish(p, t), `${p} ${t}`).toBe(false);
      }
      expect(canSubscribe('window', t)).toBe(true);
    }
  });
});

describe('deviceDiscoveryConfigRefusal', () => {
  const cfg = (o: unknown) => Buffer.from(JSON.stringify(o));
  const topic = 'homeassistant/light/lamp1/config';

  it('allows a config whose topics are all under the device’s own prefix (abbreviations and ~ expanded)', () => {
    expect(
      deviceDiscoveryConfigRefusal(
        'device:lamp1',
        topic,
        cfg({ name: 'Lamp', cmd_t: 'lamp1/cmnd/POWER', stat_t: 'lamp1/stat/POWER', avty_t: 'lamp1/tele/LWT' }),
      ),
    ).toBeNull();
    expect(
      deviceDiscoveryConfigRefusal(
        'device:lamp1',
        topic,
        cfg({ '~': 'lamp1', cmd_t: '~/cmnd/POWER', stat_t: '~/stat/POWER', availability: [{ t: '~/LWT' }] }),
      ),
    ).toBeNull();
    expect(deviceDiscoveryConfigRefusal('device:lamp1', topic, Buffer.alloc(0))).toBeNull(); // clearing a config
  });

  it('refuses command/state/availability topics in alicia/ or another device’s prefix', () => {
    const cases: unknown[] = [
      { cmd_t: 'alicia/device/command' },
      { command_topic: 'lamp2/cmnd/POWER', state_topic: 'lamp1/stat/POWER' },
      { cmd_t: 'lamp1/cmnd/POWER', stat_t: 'alicia/device/status/kitchen' },
      { '~': 'lamp2', cmd_t: '~/cmnd/POWER' },
      { cmd_t: 'lamp1/cmnd/POWER', availability: [{ topic: 'zigbee2mqtt/bridge/state' }] },
      { cmd_t: 'lamp1/x', json_attr_t: '$SYS/alicia/broker/stats' },
      { cmd_t: 'lamp1/x', brightness_command_topic: 'lamp10/x' },
    ];
    for (const c of cases)
      expect(deviceDiscoveryConfigRefusal('device:lamp1', topic, cfg(c)), JSON.stringify(c)).toMatch(/outside lamp1\//);
    expect(deviceDiscoveryConfigRefusal('device:lamp1', topic, Buffer.from('{nope'))).toMatch(/not JSON/);
    expect(deviceDiscoveryConfigRefusal('device:lamp1', topic, cfg([1]))).toMatch(/not a JSON object/);
  });

  it('does not apply to other principals or to the device’s own non-discovery topics', () => {
    expect(deviceDiscoveryConfigRefusal('operator', topic, cfg({ cmd_t: 'alicia/x' }))).toBeNull();
    expect(deviceDiscoveryConfigRefusal('device:lamp1', 'lamp1/stat/RESULT', Buffer.from('not json'))).toBeNull();
  });
});

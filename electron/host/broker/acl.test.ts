import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES, aclFor } from '../../../services/lib/protocol/services.js';
import { isValidTopicFilter, isValidTopicName } from '../../../services/lib/protocol/topicNames.js';
import { MAX_TOPIC_LEVELS, canPublish, canSubscribe } from './acl.js';

describe('canPublish', () => {
  it('lets each service publish exactly its own patterns (with + filled in)', () => {
    for (const s of SERVICE_NAMES) {
      for (const p of aclFor(s).publish) {
        const topic = p === 'EXTERNAL' ? 'zigbee2mqtt/lamp/set' : p.replaceAll('+', 'x');
        expect(canPublish(s, topic), `${s} -> ${topic}`).toBe(true);
      }
    }
  });

  it('refuses another service’s topics', () => {
    expect(canPublish('stt', 'alicia/ai/response')).toBe(false);
    expect(canPublish('stt', 'alicia/device/status/kitchen_light')).toBe(false);
    expect(canPublish('stt', 'alicia/health/heartbeat/ai')).toBe(false); // another service's heartbeat
    expect(canPublish('tts', 'alicia/voice/command')).toBe(false);
    expect(canPublish('ai', 'alicia/device/command')).toBe(false);
    expect(canPublish('voice-router', 'alicia/device/status/kitchen_light')).toBe(false);
    expect(canPublish('discovery', 'alicia/system/services/stt')).toBe(false);
  });

  it('EXTERNAL means outside alicia/, homeassistant/ and $-topics', () => {
    expect(canPublish('device-manager', 'zigbee2mqtt/lamp/set')).toBe(true);
    expect(canPublish('device-manager', 'shellies/plug/relay/0/command')).toBe(true);
    expect(canPublish('device-manager', 'alicia/ai/response')).toBe(false);
    expect(canPublish('device-manager', 'alicia')).toBe(false);
    expect(canPublish('device-manager', 'homeassistant/light/x/config')).toBe(false);
    expect(canPublish('device-manager', '$SYS/alicia/broker/stats')).toBe(false);
    expect(canPublish('stt', 'zigbee2mqtt/lamp/set')).toBe(false); // only device-manager has EXTERNAL
  });

  it('operator and window (every window session) publish anything but $-topics and the host-only topics', () => {
    for (const p of ['operator', 'window', 'window:session-aaaa'] as const) {
      expect(canPublish(p, 'alicia/device/command')).toBe(true);
      expect(canPublish(p, 'alicia/system/window/request')).toBe(true);
      expect(canPublish(p, 'anything/at/all')).toBe(true);
      expect(canPublish(p, '$SYS/alicia/broker/stats')).toBe(false);
      expect(canPublish(p, '$SYS/x')).toBe(false);
      expect(canPublish(p, 'alicia/system/host')).toBe(false);
      expect(canPublish(p, 'alicia/system/window/sessions')).toBe(false);
    }
    // no service may end a window session
    for (const s of SERVICE_NAMES) expect(canPublish(s, 'alicia/system/window/request'), s).toBe(false);
  });

  it('a window-like name that is no valid session principal gets no window rights', () => {
    expect(canPublish('window:x', 'alicia/device/command')).toBe(false);
    expect(canSubscribe('window:bad/id', '#')).toBe(false);
  });

  it('refuses wildcard and too deep topics for everyone', () => {
    expect(canPublish('operator', 'alicia/+/x')).toBe(false);
    expect(canPublish('operator', 'alicia/#')).toBe(false);
    // the configured limit (16 by default) is the broker's (clientAccess.ts); the rules stop at Aedes's cap
    const levels = (n: number) => Array.from({ length: n }, () => 'a').join('/');
    expect(canPublish('operator', levels(MAX_TOPIC_LEVELS + 1))).toBe(false);
    expect(canPublish('operator', levels(MAX_TOPIC_LEVELS))).toBe(true);
    expect(isValidTopicName('', MAX_TOPIC_LEVELS)).toBe(false);
  });
});

describe('canSubscribe', () => {
  it('lets each service subscribe its own patterns and narrower filters', () => {
    for (const s of SERVICE_NAMES) {
      for (const p of aclFor(s).subscribe) {
        const f = p === 'EXTERNAL' ? 'zigbee2mqtt/#' : p;
        expect(canSubscribe(s, f), `${s} <- ${f}`).toBe(true);
      }
    }
    expect(canSubscribe('stt', 'alicia/device/status/kitchen_light')).toBe(true);
    expect(canSubscribe('device-manager', 'homeassistant/light/+/config')).toBe(true);
  });

  it('refuses filters that reach beyond the ACL', () => {
    for (const s of SERVICE_NAMES) {
      expect(canSubscribe(s, '#'), `${s} #`).toBe(false);
      expect(canSubscribe(s, 'alicia/#'), `${s} alicia/#`).toBe(false);
      expect(canSubscribe(s, '+/#'), `${s} +/#`).toBe(false);
      expect(canSubscribe(s, '$SYS/#'), `${s} $SYS/#`).toBe(false);
    }
    expect(canSubscribe('stt', 'alicia/device/#')).toBe(false); // device/# also matches device/command
    expect(canSubscribe('stt', 'alicia/device/+/kitchen_light')).toBe(false);
    expect(canSubscribe('stt', 'alicia/ai/request')).toBe(false);
    expect(canSubscribe('tts', 'alicia/device/status/+')).toBe(false);
    expect(canSubscribe('stt', 'alicia/system/config/ai')).toBe(false); // another service's config
  });

  it('covers a filter by a union of patterns, exactly', () => {
    // health-monitor has heartbeat/+ and status/+, but alicia/health/+/stt also matches
    // alicia/health/anything/stt, which neither covers
    expect(canSubscribe('health-monitor', 'alicia/health/+/stt')).toBe(false);
    expect(canSubscribe('health-monitor', 'alicia/health/#')).toBe(false);
    // device-manager: alicia/device/status/+ + homeassistant/# + EXTERNAL covers +/device/status/+
    expect(canSubscribe('device-manager', '+/device/status/+')).toBe(true);
    expect(canSubscribe('device-manager', '+/device/command')).toBe(true);
    expect(canSubscribe('device-manager', '+/device/response')).toBe(false); // alicia/device/response is publish-only
    expect(canSubscribe('device-manager', 'zigbee2mqtt/#')).toBe(true);
  });

  it('operator and window (every window session) subscribe anything, $SYS included', () => {
    for (const p of ['operator', 'window', 'window:session-bbbb'] as const) {
      expect(canSubscribe(p, '#')).toBe(true);
      expect(canSubscribe(p, '$SYS/#')).toBe(true);
    }
  });

  it('refuses malformed filters', () => {
    expect(isValidTopicFilter('alicia/#/x', MAX_TOPIC_LEVELS)).toBe(false);
    expect(isValidTopicFilter('alicia/a+', MAX_TOPIC_LEVELS)).toBe(false);
    expect(canSubscribe('operator', 'a/#b')).toBe(false);
    expect(canSubscribe('operator', '')).toBe(false);
  });
});

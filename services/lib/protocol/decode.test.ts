import { describe, expect, it } from 'vitest';
import { decode, decodeTopic, peekEnvelope } from './decode.js';
import { seal, SCHEMA_VERSION } from './envelope.js';
import { TOPICS, topicFor, topicMatches, patternOf } from './topics.js';
import { isValidTopicFilter } from './topicNames.js';
import { aclFor, SERVICE_NAMES } from './services.js';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('envelope', () => {
  it('seals one flat envelope: never wrapped twice, envelope fields authoritative', () => {
    const m = seal({ text: 'hi', id: 'spoofed' }, { source: 'ai', correlation_id: 'c1', session_id: 's1' });
    expect(m.v).toBe(SCHEMA_VERSION);
    expect(m.id).not.toBe('spoofed');
    expect(m).toMatchObject({ source: 'ai', correlation_id: 'c1', session_id: 's1', text: 'hi' });
    expect(typeof m.trace_id).toBe('string');
    const again = seal(m, { source: 'ai' });
    expect(Object.keys(again).filter((k) => k === 'v')).toHaveLength(1);
    expect((again as Record<string, unknown>).payload).toBeUndefined();
  });
});

describe('decode', () => {
  it('accepts a valid message and keeps unknown newer-minor fields', () => {
    const m = decode(
      'alicia/ai/request',
      enc({ ...seal({ text: 'turn on the kitchen light' }, { source: 'x' }), v: '1.7', future_field: 42 }),
    );
    expect(m.text).toBe('turn on the kitchen light');
    expect((m as Record<string, unknown>).future_field).toBe(42);
  });
  it('rejects an unknown major version with UNSUPPORTED_VERSION', () => {
    expect(() => decode('alicia/ai/request', enc({ ...seal({ text: 'x' }, { source: 'x' }), v: '2.0' }))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    );
  });
  it('rejects malformed JSON, invalid UTF-8 and non-objects with BAD_JSON / BAD_ENVELOPE', () => {
    expect(() => decode('alicia/ai/request', Buffer.from('{"text":'))).toThrow(expect.objectContaining({ code: 'BAD_JSON' }));
    expect(() => decode('alicia/ai/request', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(expect.objectContaining({ code: 'BAD_JSON' }));
    expect(() => decode('alicia/ai/request', enc([1, 2]))).toThrow(expect.objectContaining({ code: 'BAD_ENVELOPE' }));
    expect(() => decode('alicia/ai/request', enc({ v: 3 }))).toThrow(expect.objectContaining({ code: 'BAD_ENVELOPE' }));
  });
  it('rejects a payload that fails its schema with SCHEMA_INVALID and says where', () => {
    try {
      decode('alicia/device/command', enc(seal({ device_id: 'kitchen_light', action: 42 }, { source: 'x' })));
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'SCHEMA_INVALID' });
      expect((e as Error).message).toContain('action');
    }
  });
  it('fills envelope fields that a hand-typed message omits', () => {
    const m = decode('alicia/voice/command', enc({ session_id: 's1', text: 'what time is it' }));
    expect(m.v).toBe(SCHEMA_VERSION);
    expect(m.id).toBeTruthy();
    expect(m.trace_id).toBeTruthy();
  });
  it('voice commands need exactly one of audio_data or text', () => {
    expect(() => decode('alicia/voice/command', enc({ session_id: 's1' }))).toThrow(expect.objectContaining({ code: 'SCHEMA_INVALID' }));
    expect(() => decode('alicia/voice/command', enc({ session_id: 's1', text: 'a', audio_data: 'AAAA' }))).toThrow(
      expect.objectContaining({ code: 'SCHEMA_INVALID' }),
    );
  });
  it('decodeTopic finds the pattern of a concrete topic; peekEnvelope never throws', () => {
    const { pattern } = decodeTopic(
      'alicia/health/heartbeat/stt',
      enc(seal({ service: 'stt', pid: 1, seq: 1, uptime_ms: 1, status: 'ok', interval_ms: 5000 }, { source: 'stt' })),
    );
    expect(pattern).toBe('alicia/health/heartbeat/+');
    expect(() => decodeTopic('zigbee2mqtt/lamp', '{}')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC' }));
    expect(peekEnvelope(Buffer.from([0, 1, 2]))).toEqual({});
    expect(peekEnvelope(enc({ trace_id: 't', session_id: 's' }))).toMatchObject({ trace_id: 't', session_id: 's' });
  });
});

describe('topics', () => {
  it('declares every topic of the contract tree (docs/topics.md)', () => {
    for (const t of [
      'alicia/voice/stt/request',
      'alicia/voice/stt/result',
      'alicia/voice/stt/error',
      'alicia/ai/request',
      'alicia/ai/response',
      'alicia/ai/error',
      'alicia/voice/tts/request',
      'alicia/voice/tts/result',
      'alicia/voice/tts/error',
      'alicia/voice/command',
      'alicia/voice/result',
      'alicia/device/command',
      'alicia/device/response',
      'alicia/device/status/+',
      'alicia/health/heartbeat/+',
      'alicia/health/status/+',
      'alicia/health/status',
      'alicia/system/discovery/register',
      'alicia/system/discovery/heartbeat',
      'alicia/system/discovery/update',
      'alicia/system/config/+',
      'alicia/broadcast/+',
    ])
      expect(TOPICS).toHaveProperty([t]);
  });
  it('every request topic names a declared reply and error topic; state topics are retained, others not', () => {
    for (const [p, d] of Object.entries(TOPICS)) {
      if (d.kind === 'request') {
        expect(TOPICS).toHaveProperty([(d as { reply: string }).reply]);
        expect(TOPICS).toHaveProperty([(d as { error: string }).error]);
      }
      expect(Boolean((d as { retain?: boolean }).retain), p).toBe(d.kind === 'state');
    }
  });
  it('topicFor fills parameters and refuses wildcards in them', () => {
    expect(topicFor('alicia/device/status/+', 'kitchen_light')).toBe('alicia/device/status/kitchen_light');
    expect(() => topicFor('alicia/device/status/+', 'a/b')).toThrow();
    expect(() => topicFor('alicia/device/status/+', '#')).toThrow();
    expect(() => topicFor('alicia/device/status/+')).toThrow();
  });
  it('matches MQTT filters per MQTT 3.1.1 section 4.7', () => {
    expect(topicMatches('alicia/#', 'alicia/voice/command')).toBe(true);
    expect(topicMatches('alicia/+/command', 'alicia/device/command')).toBe(true);
    expect(topicMatches('alicia/+', 'alicia/device/command')).toBe(false);
    expect(topicMatches('#', '$SYS/alicia/broker/stats')).toBe(false);
    expect(topicMatches('alicia/voice/#', 'alicia/voice')).toBe(true);
    expect(patternOf('alicia/health/status')).toBe('alicia/health/status');
    expect(patternOf('alicia/health/status/stt')).toBe('alicia/health/status/+');
    expect(isValidTopicFilter('a/#/b')).toBe(false);
    expect(isValidTopicFilter('a/b+')).toBe(false);
    expect(isValidTopicFilter('a/+/#')).toBe(true);
  });
  it("the ACL of every service covers its own heartbeat and no one else's", () => {
    for (const s of SERVICE_NAMES) {
      const acl = aclFor(s);
      expect(acl.publish).toContain(`alicia/health/heartbeat/${s}`);
      expect(acl.publish.some((p) => p.includes('{self}'))).toBe(false);
    }
  });
});

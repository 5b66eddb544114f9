import { describe, expect, it } from 'vitest';
import { sealMessage } from './sealMessage.js';

describe('sealMessage', () => {
  it('seals the body in the envelope with every id of the options, the deadline included', () => {
    const m = sealMessage(
      'voice-router',
      'alicia/device/command',
      { device_id: 'kitchen_light', action: 'turn_on', params: {} },
      { correlation_id: 'c-1', trace_id: 't-1', session_id: 's-1', deadline: 1_700_000_000_000 },
    );
    expect(m).toMatchObject({ topic: 'alicia/device/command', qos: 1, retain: false });
    expect(JSON.parse(m.payload)).toMatchObject({
      v: expect.any(String),
      id: expect.any(String),
      ts: expect.any(Number),
      source: 'voice-router',
      correlation_id: 'c-1',
      trace_id: 't-1',
      session_id: 's-1',
      deadline: 1_700_000_000_000,
      device_id: 'kitchen_light',
    });
  });

  it("fills the topic's + segments from params; qos and retain come from the topic unless overridden", () => {
    const body = { service: 'tts', pid: 1, seq: 1, uptime_ms: 0, status: 'offline', interval_ms: 5000 } as const;
    const m = sealMessage('tts', 'alicia/health/heartbeat/+', body, { params: ['tts'] });
    expect(m.topic).toBe('alicia/health/heartbeat/tts');
    expect(sealMessage('tts', 'alicia/health/heartbeat/+', body, { params: ['tts'], qos: 1, retain: true })).toMatchObject({
      qos: 1,
      retain: true,
    });
  });

  it('refuses an invalid message with the coded error its caller asked for', () => {
    const bad = { text: 42 } as never;
    expect(() => sealMessage('ai', 'alicia/ai/request', bad)).toThrow(expect.objectContaining({ code: 'SCHEMA_INVALID' }));
    expect(() => sealMessage('ai', 'alicia/ai/request', bad, {}, 'INTERNAL')).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('ai produced an invalid alicia/ai/request: text') }),
    );
  });
});

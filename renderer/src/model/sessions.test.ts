import { describe, expect, it } from 'vitest';
import { applyLive, fromRecorder, mergeHistory, traceMessagesFrom, waterfall } from './sessions.js';

describe('voice sessions', () => {
  it('follows a live session from command through stage events to its result', () => {
    let s = applyLive({}, 'alicia/voice/command', { session_id: 's1', trace_id: 't1', ts: 1000, audio_data: 'UklG' }, 0);
    s = applyLive(s, 'alicia/voice/event', { session_id: 's1', trace_id: 't1', stage: 'stt', status: 'started', elapsed_ms: 2 }, 0);
    s = applyLive(s, 'alicia/voice/event', { session_id: 's1', trace_id: 't1', stage: 'stt', status: 'finished', elapsed_ms: 60 }, 0);
    s = applyLive(s, 'alicia/voice/event', { session_id: 's1', trace_id: 't1', stage: 'ai', status: 'started', elapsed_ms: 61 }, 0);
    expect(s.t1!.ok).toBeNull();
    expect(s.t1!.stage).toBe('ai');
    s = applyLive(
      s,
      'alicia/voice/result',
      {
        session_id: 's1',
        trace_id: 't1',
        ok: true,
        transcription: 'turn on the kitchen light',
        intent: { name: 'turn_on', slots: {} },
        response_text: 'Kitchen light is on',
        timings: { stt_ms: 58, ai_ms: 3, device_ms: 5, tts_ms: 120, total_ms: 190 },
      },
      0,
    );
    expect(s.t1).toMatchObject({
      key: 't1',
      session_id: 's1',
      trace_id: 't1',
      input: 'audio',
      ok: true,
      intent: 'turn_on',
      total_ms: 190,
      time: 1000,
    });
    expect(waterfall(s.t1!).map((b) => [b.stage, b.start, b.duration])).toEqual([
      ['stt', 2, 58],
      ['ai', 61, 0],
    ]);
  });

  it('keeps the commands of one conversation (same session, new trace each) as separate rows', () => {
    let s = applyLive({}, 'alicia/voice/command', { session_id: 'conv', trace_id: 'a', ts: 1, text: 'turn on the kitchen light' }, 0);
    s = applyLive(
      s,
      'alicia/voice/result',
      { session_id: 'conv', trace_id: 'a', ok: true, transcription: 'turn on the kitchen light', intent: { name: 'turn_on', slots: {} } },
      0,
    );
    s = applyLive(s, 'alicia/voice/command', { session_id: 'conv', trace_id: 'b', ts: 2, text: 'make me a cup of tea' }, 0);
    s = applyLive(
      s,
      'alicia/voice/result',
      {
        session_id: 'conv',
        trace_id: 'b',
        ok: false,
        transcription: 'make me a cup of tea',
        intent: null,
        error: { code: 'AI_NOT_UNDERSTOOD', message: 'x' },
      },
      0,
    );
    expect(Object.keys(s).sort()).toEqual(['a', 'b']);
    expect(s.a).toMatchObject({ ok: true, intent: 'turn_on' });
    expect(s.b).toMatchObject({ ok: false, intent: null, transcription: 'make me a cup of tea' });
    const h = [
      fromRecorder({ key: 'c1', trace_id: 'a', session_id: 'conv', time: 1 })!,
      fromRecorder({ key: 'c2', trace_id: 'b', session_id: 'conv', time: 2 })!,
    ];
    expect(h.map((x) => x.key)).toEqual(['a', 'b']);
  });

  it('lays recorded per-stage durations end to end and marks the failed stage', () => {
    const h = fromRecorder({
      key: 'k',
      session_id: 's2',
      time: 5,
      ok: false,
      stage: 'device',
      error: { code: 'DEVICE_OFFLINE', message: 'x' },
      timings: { stt_ms: 10, ai_ms: 5, device_ms: 100, tts_ms: 0, total_ms: 115 },
    })!;
    expect(waterfall(h)).toEqual([
      { stage: 'stt', start: 0, duration: 10, failed: false },
      { stage: 'ai', start: 10, duration: 5, failed: false },
      { stage: 'device', start: 15, duration: 100, failed: true },
    ]);
    expect(fromRecorder({ nope: 1 })).toBeNull();
  });

  it('merges history without losing newer live data', () => {
    const live = applyLive(
      {},
      'alicia/voice/result',
      { session_id: 's3', ok: true, transcription: 'x', intent: null, response_text: 'y', timings: { total_ms: 9 } },
      7,
    );
    const merged = mergeHistory(live, [
      fromRecorder({ session_id: 's3', time: 1, ok: null, intent: 'turn_on' })!,
      fromRecorder({ session_id: 's4', time: 2 })!,
    ]);
    expect(merged.s3).toMatchObject({ ok: true, intent: 'turn_on', total_ms: 9 });
    expect(Object.keys(merged).sort()).toEqual(['s3', 's4']);
  });

  it('reads trace messages with base64 or text payloads, in time order', () => {
    const msgs = traceMessagesFrom([
      { time: 2, topic: 'b', payload: btoa('{"x":1}'), encoding: 'base64', size: 7 },
      { time: 1, topic: 'a', payload: 'hello', size: 5 },
    ]);
    expect(msgs.map((m) => [m.topic, m.text])).toEqual([
      ['a', 'hello'],
      ['b', '{"x":1}'],
    ]);
  });
});

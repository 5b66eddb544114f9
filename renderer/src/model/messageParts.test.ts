import { describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { messageSummary, splitEnvelope } from './messageParts.js';

const enc = new TextEncoder();

describe('message parts', () => {
  it('splits an Alicia envelope from the body; other JSON is all body', () => {
    const msg = seal({ text: 'turn on the kitchen light', speak: false }, { source: 'window', session_id: 's1' });
    const { envelope, body } = splitEnvelope(msg);
    expect(Object.keys(envelope!).sort()).toEqual(['id', 'session_id', 'source', 'trace_id', 'ts', 'v']);
    expect(body).toEqual({ text: 'turn on the kitchen light', speak: false });
    expect(splitEnvelope({ id: 'kitchen', on: true })).toEqual({ envelope: null, body: { id: 'kitchen', on: true } });
    expect(splitEnvelope([1, 2])).toEqual({ envelope: null, body: [1, 2] });
  });

  it('summarises a message by its body, audio by its size, never by the envelope', () => {
    const audio = `UklGR${'A'.repeat(147_000)}`;
    const msg = seal({ ok: true, text: 'The kitchen light is on.', audio_data: audio }, { source: 'tts' });
    expect(messageSummary(enc.encode(JSON.stringify(msg)))).toBe(
      '{"ok":true,"text":"The kitchen light is on.","audio_data":"⟨audio 108 KB⟩"}',
    );
    expect(messageSummary(enc.encode('21.5'))).toBe('21.5');
    expect(messageSummary(new Uint8Array([0xff, 0xfe, 0]))).toBe('⟨3 B binary⟩');
  });

  it('summarises a JSON payload cut short without its leading envelope fields', () => {
    const msg = JSON.stringify(seal({ text: 'hello', audio_data: 'UklGR'.padEnd(5000, 'B') }, { source: 'tts', correlation_id: 'c1' }));
    const cut = enc.encode(msg.slice(0, 400));
    const s = messageSummary(cut);
    expect(s.startsWith('{"text":"hello","audio_data":"⟨audio⟩"')).toBe(true);
    expect(s).not.toContain('"trace_id"');
    expect(s.length).toBeLessThan(120);
  });
});

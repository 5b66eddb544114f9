import { describe, expect, it } from 'vitest';
import { formatLogLine } from './logLine.js';

describe('formatLogLine', () => {
  it('turns a service JSON line into level + message + fields', () => {
    const v = formatLogLine(
      '{"t":"2026-11-27T04:03:13.402Z","level":"warn","origin":"stt","msg":"grammar updated","devices":7,"note":"two words"}',
    );
    expect(v).toEqual({ level: 'warn', text: 'grammar updated  devices=7 note="two words"' });
  });
  it('reads lines written before the key was `origin` (then `service`) the same way', () => {
    const v = formatLogLine(
      '{"t":"2026-11-27T04:03:13.402Z","level":"warn","service":"stt","msg":"grammar updated","devices":7,"note":"two words"}',
    );
    expect(v).toEqual({ level: 'warn', text: 'grammar updated  devices=7 note="two words"' });
  });
  it('in a line with `origin`, a field named `service` is shown', () => {
    const v = formatLogLine('{"t":"2026-11-27T04:03:13.402Z","level":"info","origin":"discovery","msg":"registered","service":"tts"}');
    expect(v).toEqual({ level: 'info', text: 'registered  service=tts' });
  });
  it('leaves other lines as they are', () => {
    expect(formatLogLine('started pid 42')).toEqual({ level: null, text: 'started pid 42' });
    expect(formatLogLine('{not json')).toEqual({ level: null, text: '{not json' });
    expect(formatLogLine('{"a":1}')).toEqual({ level: null, text: '{"a":1}' });
  });
});

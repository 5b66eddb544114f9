import { describe, expect, it } from 'vitest';
import { cleanText, escapeSsml, prepareText } from './text.js';

describe('tts text', () => {
  it('turns control characters into spaces and collapses whitespace', () => {
    expect(cleanText(' turn\u0000on\u001b[31m the\u0085light\u2028 ')).toBe('turn on [31m the light');
  });
  it('escapes the characters espeak-ng would read as SSML', () => {
    expect(escapeSsml('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });
  it('counts the limit in characters after cleaning', () => {
    expect(prepareText('  ' + 'é'.repeat(10) + '\u0000 ', 10)).toBe('é'.repeat(10));
    expect(() => prepareText('x'.repeat(11), 10)).toThrow(expect.objectContaining({ code: 'TTS_TEXT_TOO_LONG' }));
    expect(() => prepareText('\u0000\t ', 10)).toThrow(expect.objectContaining({ code: 'TTS_EMPTY_TEXT' }));
  });
});

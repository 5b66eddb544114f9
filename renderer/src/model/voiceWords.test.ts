import { describe, expect, it } from 'vitest';
import { errorBadge, errorInWords } from './voiceWords.js';

describe('voice errors in words', () => {
  it("prefers the router's own sentence, then the code's words, then the message", () => {
    expect(errorInWords({ response_text: 'Sorry, no.', error: { code: 'AI_NOT_UNDERSTOOD', message: 'm' } })).toBe('Sorry, no.');
    expect(errorInWords({ error: { code: 'STT_NO_SPEECH', message: 'm' } })).toMatch(/didn't hear anything/);
    expect(errorInWords({ error: { code: 'SOMETHING_NEW', message: 'the message' } })).toBe('the message');
  });

  it('names a failed turn in a few words, never by its code', () => {
    expect(errorBadge('AI_NOT_UNDERSTOOD')).toBe('not understood');
    expect(errorBadge('VOICE_NOT_CONFIRMED')).toBe('not confirmed');
    expect(errorBadge('SOMETHING_NEW')).toBe('failed');
    expect(errorBadge(undefined)).toBe('failed');
  });
});

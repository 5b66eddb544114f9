import { describe, expect, it } from 'vitest';
import { AliciaError, ERROR_CODES } from '../../../services/lib/protocol/errors.js';
import { ERROR_WORDS, describeError, describeThrown } from './errorWords.js';

describe('error codes in words', () => {
  it('every code of the protocol has words of its own, and no words are left for a code that is gone', () => {
    const missing = ERROR_CODES.filter((c) => typeof ERROR_WORDS[c] !== 'string' || ERROR_WORDS[c].trim() === '');
    expect(missing, 'codes without words: add them to renderer/src/model/errorWords.ts').toEqual([]);
    expect(Object.keys(ERROR_WORDS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('the words are a sentence, not the code again', () => {
    for (const c of ERROR_CODES) {
      const w = ERROR_WORDS[c];
      expect(w, c).not.toContain(c);
      expect(w, c).not.toMatch(/[A-Z]{2,}_[A-Z]/);
      expect(w, c).toMatch(/^[A-Z].*[.!]$/);
    }
  });

  it('keeps the code and the service message in the detail line', () => {
    expect(describeError('DEVICE_TIMEOUT', 'no state on alicia/device/status/kitchen_light within 3 s')).toEqual({
      code: 'DEVICE_TIMEOUT',
      words: 'The device did not answer in time. It may be off or out of reach.',
      detail: 'DEVICE_TIMEOUT · no state on alicia/device/status/kitchen_light within 3 s',
    });
    expect(describeError('AI_NOT_UNDERSTOOD').detail).toBe('AI_NOT_UNDERSTOOD');
    expect(describeError('TIMEOUT', 'TIMEOUT').detail).toBe('TIMEOUT');
  });

  it("a code this window does not know: the service's own message, the code still in the detail", () => {
    expect(describeError('STT_SOMETHING_NEW', 'the new engine fell over')).toEqual({
      code: 'STT_SOMETHING_NEW',
      words: 'the new engine fell over',
      detail: 'STT_SOMETHING_NEW',
    });
    expect(describeError('STT_SOMETHING_NEW').words).toBe('Something went wrong.');
  });

  it('anything thrown', () => {
    expect(describeThrown(new AliciaError('NOT_CONNECTED', 'not connected to the bus')).words).toMatch(/not connected/);
    expect(describeThrown(new Error('boom'))).toMatchObject({ code: 'INTERNAL', detail: 'INTERNAL · boom' });
  });
});

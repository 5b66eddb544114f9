import { describe, expect, it } from 'vitest';
import { numberToWords, parseNumber, wordsToNumber } from './numbers.js';

describe('number words', () => {
  it('reads spoken numbers', () => {
    expect(wordsToNumber('fifty')).toBe(50);
    expect(wordsToNumber('twenty one')).toBe(21);
    expect(wordsToNumber('one hundred')).toBe(100);
    expect(wordsToNumber('a hundred')).toBe(100);
    expect(wordsToNumber('one hundred and five')).toBe(105);
    expect(wordsToNumber('nineteen')).toBe(19);
    expect(wordsToNumber('zero')).toBe(0);
    expect(wordsToNumber('twenty one point five')).toBe(21.5);
    expect(wordsToNumber('42')).toBe(42);
    expect(wordsToNumber('21.5')).toBe(21.5);
    expect(wordsToNumber('twenty twenty')).toBeUndefined();
    expect(wordsToNumber('lovely')).toBeUndefined();
  });

  it('writes numbers as words', () => {
    expect(numberToWords(0)).toBe('zero');
    expect(numberToWords(7)).toBe('seven');
    expect(numberToWords(13)).toBe('thirteen');
    expect(numberToWords(50)).toBe('fifty');
    expect(numberToWords(21)).toBe('twenty one');
    expect(numberToWords(100)).toBe('one hundred');
    expect(numberToWords(342)).toBe('three hundred forty two');
    expect(numberToWords(21.5)).toBe('twenty one point five');
    expect(() => numberToWords(1000)).toThrow(RangeError);
  });

  it('round-trips 0-999', () => {
    for (let n = 0; n < 1000; n++) expect(wordsToNumber(numberToWords(n))).toBe(n);
  });

  it('offers every reading, longest first, so the rest of the sentence decides', () => {
    expect(parseNumber(['twenty', 'one', 'degrees'], 0).map((r) => [r.value, r.next])).toEqual([
      [21, 2],
      [20, 1],
    ]);
  });
});

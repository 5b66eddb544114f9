import { describe, expect, it } from 'vitest';
import { diffLines } from './diff.js';

describe('diffLines', () => {
  it('marks changed lines and keeps common ones', () => {
    const a = ['{', '  "on": true,', '  "brightness": 40', '}'].join('\n');
    const b = ['{', '  "on": false,', '  "brightness": 40', '}'].join('\n');
    expect(diffLines(a, b).map((l) => l.op + l.text)).toEqual([' {', '-  "on": true,', '+  "on": false,', '   "brightness": 40', ' }']);
  });
  it('handles insertions in the middle', () => {
    expect(diffLines('a\nc', 'a\nb\nc').map((l) => l.op + l.text)).toEqual([' a', '+b', ' c']);
  });
  it('falls back to remove-all/add-all beyond its size bound', () => {
    const out = diffLines('x\ny\nz', 'p\nq\nr', 4);
    expect(out.filter((l) => l.op === '-').length).toBe(3);
    expect(out.filter((l) => l.op === '+').length).toBe(3);
  });
});

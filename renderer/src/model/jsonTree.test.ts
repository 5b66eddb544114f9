import { describe, expect, it } from 'vitest';
import { ancestorsOf, childPointer, jsonRows, pathsToShow, rowOfMatch, searchJson, TREE_DEFAULTS } from './jsonTree.js';

const none = new Set<string>();

describe('JSON tree rows', () => {
  it('shows members as rows, containers deep down or large folded, and opens what the user flipped', () => {
    const value = { a: 1, b: { c: { d: { e: { f: true } } } }, big: Array.from({ length: 60 }, (_, i) => i), s: 'x' };
    const rows = jsonRows(value, none);
    expect(rows.map((r) => [r.path, r.depth, r.open])).toEqual([
      ['/a', 0, false],
      ['/b', 0, true],
      ['/b/c', 1, true],
      ['/b/c/d', 2, true],
      ['/b/c/d/e', 3, false], // depth 3 folded
      ['/big', 0, false], // 60 > 50 children folded
      ['/s', 0, false],
    ]);
    expect(rows.find((r) => r.path === '/b/c/d/e')).toMatchObject({ text: '{…}', size: 1, foldable: true });
    const opened = jsonRows(value, new Set(['/big', '/b']));
    expect(opened.filter((r) => r.path.startsWith('/big/')).length).toBe(60);
    expect(opened.some((r) => r.path === '/b/c')).toBe(false); // '/b' closed by the user
  });

  it('escapes member names in paths (RFC 6901) and lists ancestors', () => {
    expect(childPointer('/a', 'x/y~z')).toBe('/a/x~1y~0z');
    expect(ancestorsOf('/a/b/c')).toEqual(['', '/a', '/a/b']);
    expect(ancestorsOf('/a')).toEqual(['']);
    expect(ancestorsOf('')).toEqual([]);
  });

  it('cuts a long string in its row and opens it into continuation rows that hold it whole', () => {
    const audio = 'UklGR' + 'A'.repeat(1000);
    const rows = jsonRows({ audio }, none);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBe(`"${audio.slice(0, TREE_DEFAULTS.stringCut - 1)}…`);
    const open = jsonRows({ audio }, new Set(['/audio']));
    const parts = open.filter((r) => r.part !== undefined);
    expect(parts.map((r) => r.text).join('')).toBe(JSON.stringify(audio));
    expect(parts.length).toBe(Math.ceil((audio.length + 2) / TREE_DEFAULTS.partChars));
  });

  it('keeps a 110 KB payload to a few rows until the user opens more', () => {
    const payload = {
      text: 'The kitchen light is on.',
      audio_data: 'UklGR' + 'B'.repeat(110_000),
      samples: Array.from({ length: 5000 }, (_, i) => ({ i, v: Math.sin(i) })),
    };
    expect(jsonRows(payload, none).length).toBe(3);
  });

  it('finds text in names and values, in document order, and opens what hides a match', () => {
    const value = {
      light: { name: 'Kitchen light', level: 40 },
      rooms: [{ name: 'hall' }, { name: 'kitchen' }],
      long: 'y'.repeat(300) + 'kitchen',
    };
    const m = searchJson(value, 'KITCHEN');
    expect(m.map((x) => x.path)).toEqual(['/light/name', '/rooms/1/name', '/long']);
    expect(searchJson(value, 'name').map((x) => [x.path, x.offset])).toEqual([
      ['/light/name', null],
      ['/rooms/0/name', null],
      ['/rooms/1/name', null],
    ]);
    // the match inside rooms (folded? no: 2 children) and past the long string's cut
    const longMatch = m[2]!;
    const show = new Set(pathsToShow(longMatch, 7));
    expect(show).toEqual(new Set(['', '/long']));
    const rows = jsonRows(value, none, show);
    const at = rowOfMatch(rows, longMatch);
    expect(rows[at]!.part).toBe(Math.floor(longMatch.offset! / TREE_DEFAULTS.partChars));
    expect(rows[at]!.text.toLowerCase()).toContain('kit');
    expect(searchJson(value, '')).toEqual([]);
    expect(searchJson({ a: 'aaaa' }, 'a', 3)).toHaveLength(3);
  });

  it('shows a root that is not a container as one row', () => {
    expect(jsonRows(21.5, none)).toEqual([
      { path: '', depth: 0, key: null, kind: 'number', size: 0, foldable: false, open: false, text: '21.5' },
    ]);
  });
});

/**
 * A parsed JSON payload as the rows of a collapsible tree, one line each (so the view can
 * virtualise them: a 110 KB payload costs the DOM of the 40 rows on screen), and search over the
 * whole value. Containers deep down or with many children start folded; a long string shows its
 * start and opens into continuation rows. Pure functions, unit-tested.
 *
 * Paths are JSON Pointers (RFC 6901): '' is the root, '/state/on' a member, '/items/0' an element.
 */

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export interface JsonRow {
  path: string;
  depth: number;
  /** member name or element index; null for a root that is not a container */
  key: string | number | null;
  kind: JsonKind;
  /** children of a container, characters of a string */
  size: number;
  /** a container with children or a string longer than the cut */
  foldable: boolean;
  /** container: its children follow; long string: its continuation rows follow */
  open: boolean;
  /** the value as shown: leaves as JSON literals (long strings cut; '' when open, the parts follow), containers as "{", "{…}" or "{}" */
  text: string;
  /** a continuation row of an open long string: which slice of the literal it shows */
  part?: number;
}

export interface JsonTreeOptions {
  /** containers at this depth or deeper start folded */
  foldDepth: number;
  /** containers with more children than this start folded */
  foldSize: number;
  /** a string literal longer than this is cut in its row */
  stringCut: number;
  /** characters of the literal per continuation row */
  partChars: number;
  /** continuation rows at most per string (beyond: the raw view) */
  maxParts: number;
}

export const TREE_DEFAULTS: JsonTreeOptions = { foldDepth: 3, foldSize: 50, stringCut: 160, partChars: 80, maxParts: 5000 };

/** RFC 6901 section 3: '~' is written '~0' and '/' '~1' inside a reference token. */
export function childPointer(parent: string, key: string | number): string {
  return `${parent}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** The pointers of every container above `path` (not `path` itself), outermost first. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return path === '' ? out : ['', ...out];
}

function kindOf(v: unknown): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'object' ? 'object' : t === 'string' ? 'string' : t === 'number' ? 'number' : t === 'boolean' ? 'boolean' : 'null';
}

function entriesOf(v: unknown): [string | number, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  return Object.entries(v as Record<string, unknown>);
}

function sizeOf(v: unknown, kind: JsonKind): number {
  if (kind === 'array') return (v as unknown[]).length;
  if (kind === 'object') return Object.keys(v as object).length;
  if (kind === 'string') return (v as string).length;
  return 0;
}

/** How a leaf reads: strings as JSON literals (escapes visible, one line whatever they hold). */
function literal(v: unknown): string {
  return JSON.stringify(v) ?? 'null';
}

/** A container as its row shows it: "{" when its members follow, "{…}" folded, "{}" empty. */
function bracket(kind: 'object' | 'array', open: boolean, size: number): string {
  const [a, b] = kind === 'object' ? ['{', '}'] : ['[', ']'];
  return size === 0 ? a + b : open ? a : `${a}…${b}`;
}

function openByDefault(kind: JsonKind, depth: number, size: number, o: JsonTreeOptions): boolean {
  if (kind === 'string') return false;
  return depth < o.foldDepth && size <= o.foldSize;
}

/**
 * The rows shown for `value`. `flipped` holds the paths the user opened or closed against their
 * default; `forced` paths that must be open whatever the user did (around the current search match).
 * A container root is not a row of its own: its members are the top rows.
 */
export function jsonRows(
  value: unknown,
  flipped: ReadonlySet<string>,
  forced: ReadonlySet<string> = new Set(),
  o: JsonTreeOptions = TREE_DEFAULTS,
): JsonRow[] {
  const rows: JsonRow[] = [];
  const walk = (v: unknown, path: string, key: string | number | null, depth: number) => {
    const kind = kindOf(v);
    const size = sizeOf(v, kind);
    if (kind === 'object' || kind === 'array') {
      const open = forced.has(path) || openByDefault(kind, depth, size, o) !== flipped.has(path);
      rows.push({ path, depth, key, kind, size, foldable: size > 0, open, text: bracket(kind, open && size > 0, size) });
      if (open) for (const [k, c] of entriesOf(v)) walk(c, childPointer(path, k), k, depth + 1);
      return;
    }
    const lit = literal(v);
    if (kind !== 'string' || lit.length <= o.stringCut) {
      rows.push({ path, depth, key, kind, size, foldable: false, open: false, text: lit });
      return;
    }
    const open = forced.has(path) || flipped.has(path);
    rows.push({ path, depth, key, kind, size, foldable: true, open, text: open ? '' : `${lit.slice(0, o.stringCut)}…` });
    if (!open) return;
    const parts = Math.min(Math.ceil(lit.length / o.partChars), o.maxParts);
    for (let p = 0; p < parts; p++) {
      rows.push({
        path,
        depth: depth + 1,
        key: null,
        kind,
        size,
        foldable: false,
        open: false,
        text: lit.slice(p * o.partChars, (p + 1) * o.partChars),
        part: p,
      });
    }
  };
  const rootKind = kindOf(value);
  if (rootKind === 'object' || rootKind === 'array') {
    const rootOpen = !flipped.has('') || forced.has('');
    const size = sizeOf(value, rootKind);
    if (!rootOpen)
      rows.push({ path: '', depth: 0, key: null, kind: rootKind, size, foldable: true, open: false, text: bracket(rootKind, false, size) });
    else for (const [k, c] of entriesOf(value)) walk(c, childPointer('', k), k, 0);
  } else walk(value, '', null, 0);
  return rows;
}

/** One occurrence of the search text: in a member name (offset null) or at `offset` in a leaf's literal. */
export interface JsonMatch {
  path: string;
  offset: number | null;
}

/**
 * Every occurrence of `query` (case-insensitive) in member names and leaf values, in document
 * order, at most `max`. Strings are searched as their literals, the text the rows show.
 */
export function searchJson(value: unknown, query: string, max = 5000): JsonMatch[] {
  const q = query.toLowerCase();
  const out: JsonMatch[] = [];
  if (q === '') return out;
  const walk = (v: unknown, path: string, key: string | number | null): boolean => {
    if (key !== null && String(key).toLowerCase().includes(q)) {
      out.push({ path, offset: null });
      if (out.length >= max) return false;
    }
    const kind = kindOf(v);
    if (kind === 'object' || kind === 'array') {
      for (const [k, c] of entriesOf(v)) if (!walk(c, childPointer(path, k), k)) return false;
      return true;
    }
    const lit = literal(v).toLowerCase();
    for (let i = lit.indexOf(q); i >= 0; i = lit.indexOf(q, i + q.length)) {
      out.push({ path, offset: i });
      if (out.length >= max) return false;
    }
    return true;
  };
  walk(value, '', null);
  return out;
}

/** The paths that must be open for a match to be on screen: its containers, and a long string it lies past the cut of. */
export function pathsToShow(m: JsonMatch, queryLength: number, o: JsonTreeOptions = TREE_DEFAULTS): string[] {
  const out = ancestorsOf(m.path);
  if (m.offset !== null && m.offset + queryLength > o.stringCut) out.push(m.path);
  return out;
}

/** The row a match is on: the continuation row holding its offset when its string is open, else the path's own row; -1 when not shown. */
export function rowOfMatch(rows: readonly JsonRow[], m: JsonMatch, o: JsonTreeOptions = TREE_DEFAULTS): number {
  const i = rows.findIndex((r) => r.path === m.path && r.part === undefined);
  if (i < 0 || m.offset === null || !rows[i]!.open) return i;
  const part = Math.min(Math.floor(m.offset / o.partChars), o.maxParts - 1);
  const j = i + 1 + part;
  return rows[j]?.path === m.path ? j : i;
}

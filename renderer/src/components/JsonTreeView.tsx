import { useMemo, useState } from 'react';
import { jsonRows, pathsToShow, rowOfMatch } from '../model/jsonTree.js';
import type { JsonMatch, JsonRow } from '../model/jsonTree.js';
import { Highlight } from './Highlight.js';
import { VirtualList } from './VirtualList.js';
import './JsonTreeView.css';

const ROW_H = 20;

function note(r: JsonRow): string {
  if (r.kind === 'object') return r.open ? '' : `${r.size} key${r.size === 1 ? '' : 's'}`;
  if (r.kind === 'array') return r.open ? '' : `${r.size} item${r.size === 1 ? '' : 's'}`;
  if (r.kind === 'string' && r.foldable) return `${r.size.toLocaleString()} chars`;
  return '';
}

/**
 * A JSON value as a collapsible tree in one virtualised scroller (model/jsonTree.ts): only the rows
 * on screen are in the DOM, whatever the payload's size. `matches`/`current` come from the search
 * box of the viewer around it: the current match is opened up to and scrolled into view.
 */
export function JsonTreeView(props: { value: unknown; query: string; matches: readonly JsonMatch[]; current: number }) {
  const { value, query, matches, current } = props;
  const [flipped, setFlipped] = useState<ReadonlySet<string>>(() => new Set());
  const match = matches[current];
  const forced = useMemo(() => new Set(match ? pathsToShow(match, query.length) : []), [match, query.length]);
  const rows = useMemo(() => jsonRows(value, flipped, forced), [value, flipped, forced]);
  const at = match ? rowOfMatch(rows, match) : -1;
  const matchedPaths = useMemo(() => new Set(matches.map((m) => m.path)), [matches]);
  const toggle = (path: string) =>
    setFlipped((f) => {
      const next = new Set(f);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  return (
    // Rows are plain lines with a fold button each (a focusable button inside an ARIA treeitem would
    // be nested interactive content): Tab walks the folds, Enter or Space opens and closes them.
    <div className="json-tree mono" role="region" aria-label="payload as a tree" data-testid="json-tree" data-rows={rows.length}>
      <VirtualList
        items={rows}
        rowHeight={ROW_H}
        scrollToIndex={at}
        center
        testId="json-rows"
        renderRow={(r, i) => {
          const hit = query !== '' && matchedPaths.has(r.path);
          const cls = `jrow ${hit ? 'hit' : ''} ${i === at ? 'current' : ''}`;
          if (r.part !== undefined) {
            return (
              <div className={`${cls} part`} style={{ paddingLeft: 8 + r.depth * 14 + 14 }} data-path={r.path}>
                <span className="j-string">
                  <Highlight text={r.text} query={query} />
                </span>
              </div>
            );
          }
          return (
            <div
              className={`${cls} ${r.foldable ? 'foldable' : ''}`}
              style={{ paddingLeft: 8 + r.depth * 14 }}
              data-path={r.path}
              onClick={() => r.foldable && toggle(r.path)}
            >
              {r.foldable ? (
                <button
                  type="button"
                  className="jcaret"
                  aria-expanded={r.open}
                  aria-label={`${r.key ?? 'value'} (${note(r) || r.kind})`}
                  onClick={(e) => {
                    e.stopPropagation();
                    toggle(r.path);
                  }}
                >
                  {r.open ? '▾' : '▸'}
                </button>
              ) : (
                <span className="jcaret leaf" />
              )}
              {r.key !== null && (
                <span className={typeof r.key === 'number' ? 'j-index' : 'j-key'}>
                  <Highlight text={String(r.key)} query={query} />
                  <span className="j-colon">: </span>
                </span>
              )}
              <span className={`j-${r.kind}`}>
                <Highlight text={r.text} query={r.kind === 'object' || r.kind === 'array' ? '' : query} />
              </span>
              {note(r) && <span className="j-note">{note(r)}</span>}
            </div>
          );
        }}
      />
    </div>
  );
}

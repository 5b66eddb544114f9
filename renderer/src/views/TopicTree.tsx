import { useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { topicIndex } from '../bus/connection.js';
import { VirtualList } from '../components/VirtualList.js';
import { payloadPreview } from '../model/payload.js';
import { topicFilterMatcher } from '../model/topicFilter.js';
import { visibleRows } from '../model/topicIndex.js';
import type { HistoryEntry, TopicNode, TreeRow } from '../model/topicIndex.js';
import { useTopics } from '../stores/topicsStore.js';
import './TopicTree.css';

const ROW_H = 24;
const td = new TextDecoder();

/**
 * Preview of a topic's latest payload, one line, bounded. History entries never change, so each
 * is previewed once: a row re-rendered on every frame under load costs a map lookup unless its
 * topic got a new message.
 */
const previews = new WeakMap<HistoryEntry, string>();
function preview(node: TopicNode): string {
  const last = node.history[node.history.length - 1];
  if (!last) return '';
  let p = previews.get(last);
  if (p === undefined) {
    p = payloadPreview(last.payload);
    previews.set(last, p);
  }
  return p;
}

/** A value that follows `v` at most every `ms` (filtering 20k topics per frame would be wasteful). */
function useThrottled<T>(v: T, ms: number): T {
  const [out, setOut] = useState(v);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      setOut(v);
      return;
    }
    const t = setTimeout(() => {
      last.current = Date.now();
      setOut(v);
    }, wait);
    return () => clearTimeout(t);
  }, [v, ms]);
  return out;
}

function filteredRows(topicFilter: string, payloadFilter: string): TreeRow[] {
  const topicOk = topicFilterMatcher(topicFilter).matches;
  const pf = payloadFilter.toLowerCase();
  const out: TreeRow[] = [];
  for (const n of topicIndex.topics()) {
    if (topicFilter && !topicOk(n.path)) continue;
    if (pf) {
      const last = n.history[n.history.length - 1];
      if (
        !last ||
        !td
          .decode(last.payload.subarray(0, 64 * 1024))
          .toLowerCase()
          .includes(pf)
      )
        continue;
    }
    out.push({ node: n, depth: 0 });
    if (out.length >= 50_000) break;
  }
  return out.sort((a, b) => (a.node.path < b.node.path ? -1 : 1));
}

export function TopicTree() {
  const version = useTopics((s) => s.version);
  const layout = useTopics((s) => s.layout);
  const selected = useTopics((s) => s.selected);
  const topicFilter = useTopics((s) => s.topicFilter);
  const payloadFilter = useTopics((s) => s.payloadFilter);
  const filtering = topicFilter !== '' || payloadFilter !== '';
  const slowVersion = useThrottled(version, 400);
  const rows = useMemo(
    () => (filtering ? filteredRows(topicFilter, payloadFilter) : visibleRows(topicIndex)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [filtering ? slowVersion : version, layout, topicFilter, payloadFilter, filtering],
  );
  const selIndex = rows.findIndex((r) => r.node.path === selected);

  const toggle = (n: TopicNode, open?: boolean) => {
    n.expanded = open ?? !n.expanded;
    useTopics.setState((s) => ({ layout: s.layout + 1 }));
  };
  const select = (path: string) => useTopics.setState({ selected: path });

  const onKey = (e: KeyboardEvent) => {
    const cur = rows[selIndex];
    if (e.key === 'ArrowDown' || e.key === 'j') {
      const r = rows[Math.min(rows.length - 1, selIndex + 1)];
      if (r) select(r.node.path);
    } else if (e.key === 'ArrowUp' || e.key === 'k') {
      const r = rows[Math.max(0, selIndex - 1)];
      if (r) select(r.node.path);
    } else if (e.key === 'ArrowRight' && cur && cur.node.children.size > 0) {
      if (!cur.node.expanded) toggle(cur.node, true);
      else if (rows[selIndex + 1]) select((rows[selIndex + 1] as TreeRow).node.path);
    } else if (e.key === 'ArrowLeft' && cur) {
      if (cur.node.expanded && cur.node.children.size > 0) toggle(cur.node, false);
      else if (cur.node.parent && cur.node.parent.parent) select(cur.node.parent.path);
    } else if ((e.key === 'Enter' || e.key === ' ') && cur) {
      toggle(cur.node);
    } else return;
    e.preventDefault();
  };

  return (
    <div className="tree" tabIndex={0} onKeyDown={onKey} aria-label="topic tree" role="tree">
      {rows.length === 0 ? (
        <div className="empty">{filtering ? 'No topic matches the filter.' : 'No messages yet.'}</div>
      ) : (
        <VirtualList
          items={rows}
          rowHeight={ROW_H}
          scrollToIndex={selIndex}
          testId="topic-list"
          renderRow={(r) => {
            const n = r.node;
            const branch = n.children.size > 0;
            return (
              <div
                className={`trow ${n.path === selected ? 'sel' : ''}`}
                style={{ paddingLeft: 8 + r.depth * 14 }}
                onClick={() => select(n.path)}
                onDoubleClick={() => branch && toggle(n)}
                data-topic={n.path}
                role="treeitem"
                aria-expanded={branch ? n.expanded : undefined}
                aria-selected={n.path === selected}
              >
                <span
                  className={`caret ${branch ? '' : 'leaf'}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    if (branch) toggle(n);
                  }}
                >
                  {branch ? (n.expanded && !filtering ? '▾' : '▸') : ''}
                </span>
                <span className="tname">{filtering ? n.path : n.name === '' ? '∅' : n.name}</span>
                {n.retained && (
                  <span className="rbadge" title="retained">
                    R
                  </span>
                )}
                {n.hasMessages && <span className="tval">{preview(n)}</span>}
                <span className="tcount" title={`${n.total} messages, ${n.topicCount} topics`} data-count={n.total}>
                  {branch ? `${n.topicCount} · ${n.total}` : n.messages}
                </span>
              </div>
            );
          }}
        />
      )}
    </div>
  );
}

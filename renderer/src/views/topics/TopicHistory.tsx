import { useEffect, useMemo, useState } from 'react';
import { clearRange, loadOlder, loadRange } from '../../actions/historyActions.js';
import { askRecorder } from '../../actions/recorderQuery.js';
import { VirtualList } from '../../components/VirtualList.js';
import { formatTime } from '../../model/format.js';
import { fromLocalInput, toLocalInput } from '../../model/localTime.js';
import { messageSummary } from '../../model/messageParts.js';
import { formatBytes } from '../../model/payload.js';
import type { ShownEntry } from '../../model/topicHistory.js';
import type { TopicNode } from '../../model/topicIndex.js';
import { useTopicHistory } from '../../stores/topicHistoryStore.js';
import './TopicHistory.css';

const ROW_H = 28;

/** A summary per entry, made once (entries never change; a topic may list thousands). */
const summaries = new WeakMap<Uint8Array, string>();
function summaryOf(e: ShownEntry): string {
  let s = summaries.get(e.payload);
  if (s === undefined) summaries.set(e.payload, (s = messageSummary(e.payload, undefined, 200)));
  return s;
}

/** How many messages of this topic the recorder holds (its per-topic count, no scan). */
function useRecordedCount(topic: string): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    askRecorder({ query: 'counts', topic, limit: 1 }, 'count recorded messages').then(
      (a) => {
        const t = Array.isArray(a.topics) ? (a.topics[0] as { topic?: unknown; count?: unknown } | undefined) : undefined;
        if (live) setCount(t?.topic === topic && typeof t.count === 'number' ? t.count : 0);
      },
      () => undefined, // no count: the line just does not say it
    );
    return () => {
      live = false;
    };
  }, [topic]);
  return count;
}

/**
 * A topic's history: the messages the window keeps, then older ones from the recorder page by page
 * ("Load older"), or the recorder's messages of a time range. A row opens the message; its box
 * picks it for Diff.
 */
export function TopicHistory(props: {
  node: TopicNode;
  entries: readonly ShownEntry[];
  picks: readonly string[];
  setPicks: (p: string[]) => void;
  onOpen: (e: ShownEntry) => void;
}) {
  const { node, entries, picks, setPicks, onOpen } = props;
  const h = useTopicHistory();
  const recordedCount = useRecordedCount(node.path);
  const [from, setFrom] = useState(() => toLocalInput(h.range?.from ?? null));
  const [to, setTo] = useState(() => toLocalInput(h.range?.to ?? null));
  const oldestLive = node.history[0]?.time ?? null;
  const toggle = (key: string) => setPicks(picks.includes(key) ? picks.filter((p) => p !== key) : [...picks.slice(-1), key]);
  const fromRecorder = useMemo(() => entries.filter((e) => e.origin === 'recorder').length, [entries]);
  const more = h.exhausted ? 'No older messages recorded.' : h.loading ? 'Loading…' : null;
  return (
    <div className="topic-history" data-testid="topic-history">
      <form
        className="history-range"
        onSubmit={(e) => {
          e.preventDefault();
          void loadRange(node.path, fromLocalInput(from), fromLocalInput(to, true));
        }}
      >
        <label>
          From <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} data-testid="history-from" />
        </label>
        <label>
          to <input type="datetime-local" step={1} value={to} onChange={(e) => setTo(e.target.value)} data-testid="history-to" />
        </label>
        <button type="submit" disabled={from === '' && to === ''} data-testid="history-range">
          Show range
        </button>
        {h.range && (
          <button
            type="button"
            onClick={() => {
              setFrom('');
              setTo('');
              clearRange(node.path);
            }}
          >
            Clear range
          </button>
        )}
      </form>
      <div className="muted small history-status" data-testid="history-status">
        {h.range
          ? `Recorded messages ${h.range.from !== null ? `from ${new Date(h.range.from).toLocaleString()} ` : ''}${h.range.to !== null ? `to ${new Date(h.range.to).toLocaleString()}` : 'to now'}: ${entries.length.toLocaleString()} loaded.`
          : `${node.history.length} kept in the window${fromRecorder ? `, ${fromRecorder.toLocaleString()} older from the recorder` : ''}${recordedCount !== null ? ` · the recorder holds ${recordedCount.toLocaleString()}` : ''}. Pick two to compare them in Diff.`}
      </div>
      {entries.length === 0 ? (
        <div className="empty small">{h.loading ? 'Loading…' : 'No messages in this range.'}</div>
      ) : (
        <VirtualList
          items={entries}
          rowHeight={ROW_H}
          className="history-list"
          testId="history-list"
          renderRow={(e) => (
            <div className={`hrow ${picks.includes(e.key) ? 'picked' : ''}`} data-origin={e.origin}>
              <input
                type="checkbox"
                checked={picks.includes(e.key)}
                onChange={() => toggle(e.key)}
                aria-label={`pick the message of ${formatTime(e.time)} for Diff`}
              />
              <button type="button" className="hopen" onClick={() => onOpen(e)} data-testid="history-entry" title="open this message">
                <span className="ts">{formatTime(e.time)}</span>
                <span className="hsize num">{formatBytes(e.size)}</span>
                <span className="hflags">
                  {e.retain && (
                    <span className="rbadge" title="retained copy">
                      R
                    </span>
                  )}
                  {e.origin === 'recorder' && (
                    <span className="hsrc" title="from the recorder">
                      rec
                    </span>
                  )}
                </span>
                <span className="hv">{summaryOf(e)}</span>
              </button>
            </div>
          )}
        />
      )}
      <div className="history-more">
        <button
          type="button"
          onClick={() => void loadOlder(node.path, oldestLive)}
          disabled={h.loading || h.exhausted}
          data-testid="load-older"
          title="read older messages of this topic from the recorder"
        >
          Load older
        </button>
        <span className="muted small" role="status">
          {h.error ? <span className="bad">Recorder: {h.error}</span> : more}
        </span>
        {node.evicted > 0 && !h.range && fromRecorder === 0 && (
          <span className="warn-text small" data-testid="truncated">
            {node.evicted} older message{node.evicted === 1 ? '' : 's'} not kept in the window.
          </span>
        )}
      </div>
    </div>
  );
}

import { useEffect, useMemo, useState } from 'react';
import { resetHistory } from '../actions/historyActions.js';
import { clearRetained, clearRetainedSubtree } from '../actions/topicActions.js';
import { topicIndex } from '../bus/connection.js';
import { ExportControl } from '../components/ExportControl.js';
import { MessageDialog } from '../components/MessageDialog.js';
import type { OpenedMessage } from '../components/MessageDialog.js';
import { MessageViewer } from '../components/MessageViewer.js';
import { formatTime } from '../model/format.js';
import { mergedHistory, recordedEntry, windowEntry } from '../model/topicHistory.js';
import type { ShownEntry } from '../model/topicHistory.js';
import type { TopicNode } from '../model/topicIndex.js';
import { useTopicHistory } from '../stores/topicHistoryStore.js';
import { useTopics } from '../stores/topicsStore.js';
import { TopicChart } from './topics/TopicChart.js';
import { TopicDiff } from './topics/TopicDiff.js';
import { TopicHistory } from './topics/TopicHistory.js';
import './TopicDetail.css';

type Tab = 'value' | 'history' | 'diff' | 'chart';

/** The History tab's entries: the window's own (newest first) and what the recorder gave, or a recorded range alone. */
function useShownHistory(node: TopicNode | undefined): ShownEntry[] {
  const h = useTopicHistory();
  const version = node?.version;
  return useMemo(() => {
    if (!node) return [];
    if (h.topic !== node.path) return node.history.map(windowEntry).reverse();
    if (h.range) return h.recorded.map(recordedEntry);
    return mergedHistory(node.history, h.recorded);
    // version changes whenever the node's history does
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [node, version, h.topic, h.range, h.recorded]);
}

/** Keyed by the selected topic, so picks and notes start fresh for each topic. */
export function TopicDetail() {
  const selected = useTopics((s) => s.selected);
  return <TopicDetailFor key={selected ?? ''} selected={selected} />;
}

function TopicDetailFor({ selected }: { selected: string | null }) {
  useTopics((s) => s.version); // re-render when messages arrive (at most once per frame)
  const [tab, setTab] = useState<Tab>('value');
  const [picks, setPicks] = useState<string[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [opened, setOpened] = useState<OpenedMessage | null>(null);
  useEffect(() => resetHistory(selected), [selected]);
  const node = selected === null ? undefined : topicIndex.find(selected);
  const entries = useShownHistory(node);
  const range = useTopicHistory((h) => (h.topic === selected ? h.range : null));
  if (!node || selected === null) {
    return (
      <div className="detail empty" data-testid="topic-detail">
        <div>
          {selected ? `${selected} has no messages any more (cleared or removed).` : 'Select a topic to see its messages.'}
          {note && <div className="note">{note}</div>}
        </div>
      </div>
    );
  }
  const latest = node.history[node.history.length - 1];
  const isBranch = node.children.size > 0;
  const clearOne = async () => {
    try {
      await clearRetained(node.path);
      setNote(`Cleared the retained message of ${node.path}.`);
    } catch (e) {
      setNote(`Could not clear: ${(e as Error).message}`);
    }
  };
  const clearTree = async () => {
    if (!confirm(`Clear every retained message under ${node.path}?`)) return;
    try {
      const done = await clearRetainedSubtree(node.path);
      setNote(
        done.length
          ? `Cleared ${done.length} retained topic${done.length === 1 ? '' : 's'} under ${node.path}.`
          : `No retained messages under ${node.path}.`,
      );
    } catch (e) {
      setNote(`Could not clear: ${(e as Error).message}`);
    }
  };
  // a level with topics below exports its whole subtree ("a/b/#" matches a/b itself too, MQTT 3.1.1 section 4.7.1.2)
  const exportFilter = isBranch ? `${node.path}/#` : node.path;
  const open = (e: ShownEntry) => setOpened({ ...e, topic: node.path });
  return (
    <div className="detail topic-detail" data-testid="topic-detail">
      <header className="detail-head">
        <h2 className="mono topic-path" title={node.path}>
          {node.path}
        </h2>
        <div className="meta">
          {node.retained && (
            <span className="badge ok" data-testid="retained-badge">
              retained
            </span>
          )}
          {node.hasMessages && (
            <span>
              {node.messages.toLocaleString()} message{node.messages === 1 ? '' : 's'}
            </span>
          )}
          {isBranch && <span>{node.topicCount} topics below</span>}
          {latest && <span>last {formatTime(latest.time)}</span>}
        </div>
        <div className="buttons">
          <button onClick={() => void navigator.clipboard?.writeText(node.path)} title="copy topic">
            Copy
          </button>
          <button onClick={() => useTopics.setState({ publishTopic: node.path })} data-testid="use-topic">
            Publish here
          </button>
          {node.hasMessages && (
            <button onClick={() => void clearOne()} data-testid="clear-retained" title="publish an empty retained message">
              Clear retained
            </button>
          )}
          {isBranch && (
            <button onClick={() => void clearTree()} data-testid="clear-subtree" className="danger">
              Clear subtree
            </button>
          )}
        </div>
        <div className="detail-export">
          <span className="muted small">{range ? 'The range' : isBranch ? `${exportFilter}` : 'All recorded'}:</span>
          <ExportControl what={{ topic: exportFilter, from: range?.from, to: range?.to }} />
        </div>
        {note && <div className="note">{note}</div>}
      </header>
      {node.hasMessages ? (
        <>
          <nav className="tabs" aria-label="topic detail">
            {(['value', 'history', 'diff', 'chart'] as Tab[]).map((t) => (
              <button key={t} className={tab === t ? 'on' : ''} aria-pressed={tab === t} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
                {t === 'value'
                  ? 'Value'
                  : t === 'history'
                    ? `History (${entries.length.toLocaleString()})`
                    : t === 'diff'
                      ? 'Diff'
                      : 'Chart'}
              </button>
            ))}
          </nav>
          <div className={`tab-body tab-${tab}`}>
            {tab === 'value' && latest && <MessageViewer msg={{ ...latest, topic: node.path, size: latest.payload.byteLength }} />}
            {tab === 'history' && <TopicHistory node={node} entries={entries} picks={picks} setPicks={setPicks} onOpen={open} />}
            {tab === 'diff' && <TopicDiff entries={entries} picks={picks} />}
            {tab === 'chart' && <TopicChart node={node} />}
          </div>
        </>
      ) : (
        <div className="empty">
          A level of the tree: {node.total} messages on {node.topicCount} topics below.
        </div>
      )}
      {opened && <MessageDialog message={opened} onClose={() => setOpened(null)} />}
    </div>
  );
}

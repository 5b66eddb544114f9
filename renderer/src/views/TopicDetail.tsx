import { useMemo, useState } from 'react';
import { clearRetained, clearRetainedSubtree } from '../actions/topicActions.js';
import { topicIndex } from '../bus/connection.js';
import { LineChart } from '../components/LineChart.js';
import { diffLines } from '../model/diff.js';
import { formatTime } from '../model/format.js';
import { describePayload, findAudioFields, formatBytes, hexDump, numericFields, prettyJson } from '../model/payload.js';
import type { HistoryEntry, TopicNode } from '../model/topicIndex.js';
import { useTopics } from '../stores/topicsStore.js';
import './TopicDetail.css';

type Tab = 'value' | 'history' | 'diff' | 'chart';
type Mode = 'pretty' | 'raw' | 'hex';

const td = new TextDecoder();

function textOf(e: HistoryEntry, pretty: boolean): string {
  const info = describePayload(e.payload);
  if (info.kind === 'binary') return hexDump(e.payload);
  if (pretty && info.kind === 'json') return prettyJson(info.json, 4096);
  return info.text ?? '';
}

function PayloadView({ entry }: { entry: HistoryEntry }) {
  const info = useMemo(() => describePayload(entry.payload), [entry]);
  const [mode, setMode] = useState<Mode>(info.kind === 'json' ? 'pretty' : info.kind === 'binary' ? 'hex' : 'raw');
  const audio = useMemo(() => (info.kind === 'json' ? findAudioFields(info.json) : []), [info]);
  const body =
    mode === 'hex' || info.kind === 'binary'
      ? hexDump(entry.payload)
      : mode === 'pretty' && info.kind === 'json'
        ? prettyJson(info.json)
        : (info.text ?? '').slice(0, 256 * 1024) + ((info.text?.length ?? 0) > 256 * 1024 ? '\n… cut at 256 KB for display' : '');
  return (
    <div className="payload">
      <div className="seg">
        {(['pretty', 'raw', 'hex'] as Mode[]).map((m) => (
          <button key={m} className={mode === m ? 'on' : ''} onClick={() => setMode(m)} disabled={m === 'pretty' && info.kind !== 'json'}>
            {m === 'pretty' ? 'JSON' : m === 'raw' ? 'Raw' : 'Hex'}
          </button>
        ))}
        <span className="muted">
          {info.kind} · {formatBytes(entry.payload.byteLength)} · QoS {entry.qos}
          {entry.retain ? ' · retained copy' : ''} · {formatTime(entry.time)}
        </span>
      </div>
      {audio.map((a) => (
        <div key={a.path} className="audio-field">
          <span className="mono">{a.path}</span> <span className="muted">WAV {formatBytes(a.bytes)}</span>
          <audio controls src={`data:audio/wav;base64,${a.base64}`} />
        </div>
      ))}
      <pre className="code" data-testid="payload">
        {body}
      </pre>
    </div>
  );
}

function Truncation({ node }: { node: TopicNode }) {
  if (node.evicted === 0) return null;
  const { perTopicCount, perTopicBytes, totalBytes } = topicIndex.limits;
  const why =
    node.evictedBy === 'count'
      ? `the window keeps the last ${perTopicCount} messages per topic`
      : node.evictedBy === 'bytes'
        ? `the window keeps ${formatBytes(perTopicBytes)} per topic`
        : `the window keeps ${formatBytes(totalBytes)} of history over all topics`;
  return (
    <div className="truncated" data-testid="truncated">
      {node.evicted} older message{node.evicted === 1 ? '' : 's'} not kept: {why}. The recorder keeps full history.
    </div>
  );
}

function History({ node, picks, setPicks }: { node: TopicNode; picks: number[]; setPicks: (p: number[]) => void }) {
  const items = [...node.history].reverse();
  const toggle = (seq: number) => setPicks(picks.includes(seq) ? picks.filter((p) => p !== seq) : [...picks.slice(-1), seq]);
  return (
    <div className="history">
      <div className="muted small">Pick two messages to compare them in Diff.</div>
      <ul>
        {items.map((e) => (
          <li key={e.seq} className={picks.includes(e.seq) ? 'picked' : ''}>
            <label>
              <input type="checkbox" checked={picks.includes(e.seq)} onChange={() => toggle(e.seq)} />
              <span className="ts">{formatTime(e.time)}</span>
              <span className="muted">{formatBytes(e.payload.byteLength)}</span>
              <span className="hv">{td.decode(e.payload.subarray(0, 160)).replace(/\s+/g, ' ')}</span>
            </label>
          </li>
        ))}
      </ul>
      <Truncation node={node} />
    </div>
  );
}

function Diff({ node, picks }: { node: TopicNode; picks: number[] }) {
  const h = node.history;
  let a = h.find((e) => e.seq === picks[0]);
  let b = h.find((e) => e.seq === picks[1]);
  if (!a || !b) {
    a = h[h.length - 2];
    b = h[h.length - 1];
  }
  if (!a || !b) return <div className="empty">A diff needs two messages on this topic.</div>;
  if (a.seq > b.seq) [a, b] = [b, a];
  const lines = diffLines(textOf(a, true), textOf(b, true));
  return (
    <div className="diff">
      <div className="muted small">
        {formatTime(a.time)} → {formatTime(b.time)} {picks.length < 2 ? '(previous vs latest; pick two in History to choose)' : ''}
      </div>
      <pre className="code">
        {lines.map((l, i) => (
          <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
            {l.op} {l.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

function Chart({ node }: { node: TopicNode }) {
  const fields = useMemo(() => {
    const all = new Map<string, { t: number; v: number }[]>();
    for (const e of node.history) {
      const info = describePayload(e.payload.byteLength > 64 * 1024 ? new Uint8Array(0) : e.payload);
      if (info.kind !== 'json') continue;
      for (const [k, v] of numericFields(info.json)) {
        const arr = all.get(k) ?? [];
        arr.push({ t: e.time, v });
        all.set(k, arr);
      }
    }
    return all;
    // node.version changes whenever its history does
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [node, node.version]);
  const names = [...fields.keys()];
  const [field, setField] = useState<string | null>(null);
  const chosen = field && fields.has(field) ? field : (names[0] ?? null);
  if (!chosen) return <div className="empty">No numeric fields in this topic's messages.</div>;
  const samples = fields.get(chosen) ?? [];
  const first = samples[0]?.t ?? 0;
  const last = samples[samples.length - 1]?.t ?? 0;
  return (
    <div>
      <select value={chosen} onChange={(e) => setField(e.target.value)} aria-label="numeric field">
        {names.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
      <span className="muted small"> {samples.length} points from the kept history</span>
      <LineChart
        series={[{ name: chosen, samples, color: '--c1' }]}
        windowMs={Math.max(1000, last - first)}
        now={last}
        label={chosen}
        height={160}
      />
    </div>
  );
}

/** Keyed by the selected topic, so picks and notes start fresh for each topic. */
export function TopicDetail() {
  const selected = useTopics((s) => s.selected);
  return <TopicDetailFor key={selected ?? ''} selected={selected} />;
}

function TopicDetailFor({ selected }: { selected: string | null }) {
  useTopics((s) => s.version); // re-render when messages arrive (at most once per frame)
  const [tab, setTab] = useState<Tab>('value');
  const [picks, setPicks] = useState<number[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const node = selected === null ? undefined : topicIndex.find(selected);
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
  return (
    <div className="detail" data-testid="topic-detail">
      <header className="detail-head">
        <h2 className="mono topic-path" title={node.path}>
          {node.path}
        </h2>
        <div className="meta">
          {node.retained && <span className="badge ok">retained</span>}
          {node.hasMessages && <span>{node.messages} messages</span>}
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
        {note && <div className="note">{note}</div>}
      </header>
      {node.hasMessages ? (
        <>
          <nav className="tabs">
            {(['value', 'history', 'diff', 'chart'] as Tab[]).map((t) => (
              <button key={t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)}>
                {t === 'value'
                  ? 'Value'
                  : t === 'history'
                    ? `History (${node.history.length}${node.evicted ? ` of ${node.messages}` : ''})`
                    : t === 'diff'
                      ? 'Diff'
                      : 'Chart'}
              </button>
            ))}
          </nav>
          <div className="tab-body">
            {tab === 'value' && latest && <PayloadView key={latest.seq} entry={latest} />}
            {tab === 'history' && <History node={node} picks={picks} setPicks={setPicks} />}
            {tab === 'diff' && <Diff node={node} picks={picks} />}
            {tab === 'chart' && <Chart node={node} />}
          </div>
        </>
      ) : (
        <div className="empty">
          A level of the tree: {node.total} messages on {node.topicCount} topics below.
        </div>
      )}
    </div>
  );
}

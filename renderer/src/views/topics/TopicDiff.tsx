import { useEffect, useState } from 'react';
import { fetchMessage, why } from '../../actions/recorderQuery.js';
import { diffLines } from '../../model/diff.js';
import { formatTime } from '../../model/format.js';
import { describePayload, hexDump, prettyJson } from '../../model/payload.js';
import type { ShownEntry } from '../../model/topicHistory.js';

function textOf(payload: Uint8Array): string {
  const info = describePayload(payload);
  if (info.kind === 'binary') return hexDump(payload);
  if (info.kind === 'json') return prettyJson(info.json, 4096);
  return info.text ?? '';
}

/** The whole payload of an entry: at hand, or loaded from the recorder when its list answer carried only the first bytes. */
function useWhole(e: ShownEntry | undefined): { payload: Uint8Array | null; error: string | null } {
  const [loaded, setLoaded] = useState<{ key: string; payload: Uint8Array | null; error: string | null } | null>(null);
  const needs = e !== undefined && e.clipped && e.row !== null;
  useEffect(() => {
    if (!needs || e.row === null) return;
    let live = true;
    fetchMessage(e.row).then(
      (m) => live && setLoaded({ key: e.key, payload: m.payload, error: null }),
      (err: unknown) => live && setLoaded({ key: e.key, payload: null, error: why(err) }),
    );
    return () => {
      live = false;
    };
  }, [needs, e?.key, e?.row]);
  if (!e) return { payload: null, error: null };
  if (!needs) return { payload: e.payload, error: null };
  return loaded?.key === e.key ? { payload: loaded.payload, error: loaded.error } : { payload: null, error: null };
}

/** Two messages of a topic side by side as a line diff: the two picked in History, or the last two. */
export function TopicDiff({ entries, picks }: { entries: readonly ShownEntry[]; picks: readonly string[] }) {
  const picked = picks.map((k) => entries.find((e) => e.key === k)).filter((e): e is ShownEntry => e !== undefined);
  let [b, a] = picked.length === 2 ? picked : [entries[0], entries[1]];
  if (a && b && a.time > b.time) [a, b] = [b, a];
  const wa = useWhole(a);
  const wb = useWhole(b);
  if (!a || !b) return <div className="empty">A diff needs two messages on this topic.</div>;
  if (wa.error || wb.error) return <div className="bad small">Recorder: {wa.error ?? wb.error}</div>;
  if (!wa.payload || !wb.payload) return <div className="empty small">Loading the messages from the recorder…</div>;
  const lines = diffLines(textOf(wa.payload), textOf(wb.payload));
  return (
    <div className="diff" data-testid="diff">
      <div className="muted small">
        {formatTime(a.time)} → {formatTime(b.time)} {picked.length < 2 ? '(previous vs latest; pick two in History to choose)' : ''}
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

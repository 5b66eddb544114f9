import { useEffect, useMemo, useState } from 'react';
import { loadForChart } from '../../actions/historyActions.js';
import { why } from '../../actions/recorderQuery.js';
import { LineChart, PALETTE } from '../../components/LineChart.js';
import { useNow } from '../../components/useNow.js';
import type { Sample } from '../../model/chartScale.js';
import type { RecordedMessage } from '../../model/recorded.js';
import { notInWindow, numericSeries } from '../../model/topicHistory.js';
import type { TopicNode } from '../../model/topicIndex.js';
import './TopicChart.css';

const SPANS = [
  { label: '5 min', ms: 5 * 60_000 },
  { label: '1 hour', ms: 3_600_000 },
  { label: '24 hours', ms: 86_400_000 },
  { label: 'all', ms: null },
] as const;

/** Recorded points asked for per chart (the newest of the span). */
const MAX_RECORDED = 2000;

function merge(a: readonly Sample[] | undefined, b: readonly Sample[] | undefined): Sample[] {
  if (!a?.length) return [...(b ?? [])];
  if (!b?.length) return [...a];
  return [...a, ...b].sort((x, y) => x.t - y.t);
}

/**
 * The numeric fields of a topic's messages over time: several at once (picked by the boxes), the
 * points of the span backfilled from the recorder when the chart opens, live ones added as they come.
 */
export function TopicChart({ node }: { node: TopicNode }) {
  const [span, setSpan] = useState<(typeof SPANS)[number]>(SPANS[3]);
  const [recorded, setRecorded] = useState<{ span: string; msgs: RecordedMessage[]; error: string | null } | null>(null);
  const [picked, setPicked] = useState<string[] | null>(null);
  const now = useNow(1000);
  const topic = node.path;
  useEffect(() => {
    let live = true;
    const from = span.ms === null ? null : Date.now() - span.ms;
    loadForChart(topic, from, MAX_RECORDED).then(
      (msgs) => live && setRecorded({ span: span.label, msgs, error: null }),
      (e: unknown) => live && setRecorded({ span: span.label, msgs: [], error: why(e) }),
    );
    return () => {
      live = false;
    };
  }, [topic, span]);
  const loading = recorded?.span !== span.label;
  // recorded points the window does not hold itself, computed once per backfill
  const old = useMemo(() => numericSeries(recorded ? notInWindow(recorded.msgs, node.history) : []), [recorded, node]);
  // node.version changes whenever its history does
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const live = useMemo(() => numericSeries(node.history), [node, node.version]);
  const names = useMemo(() => [...new Set([...old.keys(), ...live.keys()])], [old, live]);
  const chosen = (picked ?? names.slice(0, 1)).filter((n) => names.includes(n));
  const series = chosen.map((n) => ({
    name: n,
    samples: merge(old.get(n), live.get(n)),
    color: PALETTE[names.indexOf(n) % PALETTE.length] as string,
  }));
  const first = Math.min(...series.map((s) => s.samples[0]?.t ?? Infinity));
  // "all": from the first point to now, with a little room, and at least 10 s
  const from =
    span.ms !== null ? now - span.ms : Number.isFinite(first) ? Math.min(first - (now - first) / 50, now - 10_000) : now - 60_000;
  const points = series.reduce((n, s) => n + s.samples.length, 0);
  const fromRecorder = chosen.reduce((n, f) => n + (old.get(f)?.length ?? 0), 0);
  const toggle = (n: string) => setPicked(chosen.includes(n) ? chosen.filter((c) => c !== n) : [...chosen, n]);
  if (names.length === 0) {
    return <div className="empty">{loading ? 'Loading recorded points…' : "No numeric fields in this topic's messages."}</div>;
  }
  return (
    <div className="topic-chart" data-testid="topic-chart">
      <div className="chart-controls">
        <div className="seg" role="group" aria-label="time span">
          {SPANS.map((s) => (
            <button key={s.label} type="button" className={s === span ? 'on' : ''} aria-pressed={s === span} onClick={() => setSpan(s)}>
              {s.label}
            </button>
          ))}
        </div>
        <span className="muted small" data-testid="chart-points" data-recorded={fromRecorder}>
          {loading ? 'loading recorded points…' : `${points.toLocaleString()} points, ${fromRecorder.toLocaleString()} from the recorder`}
          {recorded?.error && <span className="bad"> · recorder: {recorded.error}</span>}
        </span>
      </div>
      <fieldset className="chart-fields">
        <legend className="muted small">Fields</legend>
        {names.map((n) => (
          <label key={n} className="check">
            <input type="checkbox" checked={chosen.includes(n)} onChange={() => toggle(n)} data-testid={`field-${n}`} />
            <i style={{ background: `var(${PALETTE[names.indexOf(n) % PALETTE.length]})` }} />
            <span className="mono">{n}</span>
          </label>
        ))}
      </fieldset>
      <LineChart
        series={series}
        from={from}
        to={now}
        label={chosen.length ? topic : 'pick a field above'}
        height={200}
        testId="topic-line-chart"
      />
    </div>
  );
}

import { useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, PointerEvent } from 'react';
import { clockLabel, formatTick, formatValue, nearestIndex, niceScale, timeTicks } from '../model/chartScale.js';
import type { Sample } from '../model/chartScale.js';
import './LineChart.css';

export interface Series {
  name: string;
  /** oldest first */
  samples: readonly Sample[];
  /** CSS colour variable name, e.g. "--c1" */
  color: string;
}

const PAD = { l: 48, r: 10, t: 8, b: 20 };

/** The samples of a series inside [from, to] (sorted input: two binary searches, no copy of the rest). */
function inRange(samples: readonly Sample[], from: number, to: number): readonly Sample[] {
  if (samples.length === 0) return samples;
  let i = nearestIndex(samples, from);
  if ((samples[i] as Sample).t < from) i++;
  let j = nearestIndex(samples, to);
  if ((samples[j] as Sample).t > to) j--;
  return i === 0 && j === samples.length - 1 ? samples : samples.slice(i, j + 1);
}

/**
 * Samples further apart than this are not joined (a service that was stopped, a burst an hour ago):
 * several times the usual spacing, and never less than a fiftieth of the range.
 */
function gapOf(pts: readonly Sample[], span: number): number {
  if (pts.length < 3) return Infinity;
  const dts: number[] = [];
  const stride = Math.max(1, Math.floor(pts.length / 200));
  for (let i = stride; i < pts.length; i += stride) dts.push(((pts[i] as Sample).t - (pts[i - stride] as Sample).t) / stride);
  dts.sort((a, b) => a - b);
  return Math.max(6 * (dts[dts.length >> 1] as number), span / 50);
}

/**
 * A plain-SVG line chart over a time range (no chart library): the y axis fitted to the data
 * (`zero` keeps 0 in range, for rates), clock times on x, and a read-out of every series at the
 * pointer (or, from the keyboard, at the sample chosen with the arrow keys).
 */
export function LineChart(props: {
  series: readonly Series[];
  from: number;
  to: number;
  unit?: string;
  height?: number;
  label: string;
  zero?: boolean;
  testId?: string;
}) {
  const { series, from, to, unit = '', height = 130, label, zero = false, testId } = props;
  // Draw in real pixels (viewBox = measured width) so axis text is never stretched.
  const ref = useRef<HTMLElement>(null);
  const [w, setW] = useState(600);
  const [hover, setHover] = useState<number | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(200, Math.round(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const h = height;
  const plotW = w - PAD.l - PAD.r;
  const span = Math.max(1, to - from);
  const shown = useMemo(() => series.map((s) => ({ ...s, pts: inRange(s.samples, from, to) })), [series, from, to]);
  let min = Infinity;
  let max = -Infinity;
  for (const s of shown) {
    for (const p of s.pts) {
      if (p.v < min) min = p.v;
      if (p.v > max) max = p.v;
    }
  }
  const empty = min > max;
  let points = 0;
  let first = Infinity;
  for (const s of shown) {
    points += s.pts.length;
    if (s.pts.length) first = Math.min(first, (s.pts[0] as Sample).t);
  }
  const scale = niceScale(min, max, { zero, maxTicks: h < 140 ? 4 : 5 });
  const x = (t: number) => PAD.l + ((t - from) / span) * plotW;
  const y = (v: number) => PAD.t + (1 - (v - scale.lo) / (scale.hi - scale.lo)) * (h - PAD.t - PAD.b);
  const xTicks = timeTicks(from, to, Math.max(2, Math.floor(plotW / 90)));
  const step = xTicks.length > 1 ? (xTicks[1] as { t: number }).t - (xTicks[0] as { t: number }).t : span;

  // The read-out: each series' sample nearest the hovered time.
  const readout =
    hover === null
      ? []
      : shown.map((s) => {
          const i = nearestIndex(s.pts, hover);
          return { s, p: i >= 0 ? (s.pts[i] as Sample) : null };
        });
  const hoverAt = readout.find((r) => r.p)?.p?.t ?? hover;

  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * w;
    setHover(px < PAD.l || px > w - PAD.r ? null : from + ((px - PAD.l) / plotW) * span);
  };
  // Keyboard: step through the first series' samples.
  const onKey = (e: KeyboardEvent) => {
    const pts = shown.find((s) => s.pts.length > 0)?.pts ?? [];
    if (pts.length === 0) return;
    let i = hover === null ? pts.length : nearestIndex(pts, hover);
    if (e.key === 'ArrowLeft') i = Math.max(0, i - 1);
    else if (e.key === 'ArrowRight') i = Math.min(pts.length - 1, hover === null ? pts.length - 1 : i + 1);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = pts.length - 1;
    else if (e.key === 'Escape') {
      setHover(null);
      return;
    } else return;
    e.preventDefault();
    setHover((pts[i] as Sample).t);
  };
  const tipLeft = hoverAt !== null ? x(hoverAt) : 0;
  return (
    <figure
      className="chart"
      aria-label={label}
      ref={ref}
      tabIndex={0}
      onKeyDown={onKey}
      onBlur={() => setHover(null)}
      data-testid={testId}
      data-points={points}
      data-first={Number.isFinite(first) ? first : undefined}
    >
      <svg
        viewBox={`0 0 ${w} ${h}`}
        width={w}
        height={h}
        role="img"
        aria-label={`${label}: ${empty ? 'no samples' : `${formatValue(min)} to ${formatValue(max)}${unit}`}`}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
        data-lo={scale.lo}
        data-hi={scale.hi}
      >
        {scale.ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.l} x2={w - PAD.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD.l - 6} y={y(v) + 3.5} className="axis" textAnchor="end">
              {formatTick(v, scale.step)}
            </text>
          </g>
        ))}
        {xTicks.map((tk) => (
          <g key={tk.t}>
            <line x1={x(tk.t)} x2={x(tk.t)} y1={h - PAD.b} y2={h - PAD.b + 3} className="grid" />
            <text x={x(tk.t)} y={h - 5} className="axis x-tick" textAnchor="middle">
              {tk.label}
            </text>
          </g>
        ))}
        {shown.map((s) => {
          if (s.pts.length === 0) return null;
          const gap = gapOf(s.pts, span);
          const d = s.pts
            .map((p, i) => `${i && p.t - (s.pts[i - 1] as Sample).t <= gap ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
            .join('');
          const lastP = s.pts[s.pts.length - 1] as Sample;
          return (
            <g key={s.name}>
              <path d={d} fill="none" stroke={`var(${s.color})`} strokeWidth={1.5} />
              {/* the latest sample as a dot: visible even when a series has a single point */}
              <circle cx={x(lastP.t)} cy={y(lastP.v)} r={2.5} fill={`var(${s.color})`} />
            </g>
          );
        })}
        {hoverAt !== null && (
          <g className="cursor">
            <line x1={x(hoverAt)} x2={x(hoverAt)} y1={PAD.t} y2={h - PAD.b} />
            {readout.map((r) => r.p && <circle key={r.s.name} cx={x(r.p.t)} cy={y(r.p.v)} r={3.5} stroke={`var(${r.s.color})`} />)}
          </g>
        )}
        {empty && (
          <text x={w / 2} y={h / 2} className="axis" textAnchor="middle">
            no samples yet
          </text>
        )}
      </svg>
      {hoverAt !== null && readout.some((r) => r.p) && (
        <div className={`chart-tip ${tipLeft > w / 2 ? 'left' : ''}`} style={{ left: tipLeft }} data-testid="chart-tooltip" role="status">
          <div className="tip-time">{clockLabel(hoverAt, Math.min(step, 1000))}</div>
          {readout.map(
            (r) =>
              r.p && (
                <div key={r.s.name} className="tip-row">
                  <i style={{ background: `var(${r.s.color})` }} />
                  <span className="tip-name">{r.s.name}</span>
                  <b>
                    {formatValue(r.p.v)}
                    {unit}
                  </b>
                </div>
              ),
          )}
        </div>
      )}
      <figcaption>
        <span className="chart-title">{label}</span>
        {series.map((s) => (
          <span key={s.name} className="legend">
            <i style={{ background: `var(${s.color})` }} />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6', '--c7'];

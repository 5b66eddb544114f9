import { useEffect, useRef, useState } from 'react';
import type { Sample } from '../stores/healthStore.js';
import './LineChart.css';

export interface Series {
  name: string;
  samples: readonly Sample[];
  /** CSS colour variable name, e.g. "--c1" */
  color: string;
}

/**
 * A small plain-SVG line chart over a time window: enough for throughput and latency, no chart library.
 * The y axis starts at 0 and is labelled with its maximum; the x axis spans `windowMs` up to now.
 */
export function LineChart(props: {
  series: readonly Series[];
  windowMs: number;
  unit?: string;
  height?: number;
  now: number;
  label: string;
}) {
  const { series, windowMs, unit = '', height = 120, now, label } = props;
  // Draw in real pixels (viewBox = measured width) so axis text is never stretched.
  const ref = useRef<HTMLElement>(null);
  const [w, setW] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(200, Math.round(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const h = height;
  const pad = { l: 52, r: 8, t: 8, b: 18 };
  const from = now - windowMs;
  let max = 0;
  for (const s of series) for (const p of s.samples) if (p.t >= from && p.v > max) max = p.v;
  const niceMax = max <= 0 ? 1 : niceCeil(max);
  const x = (t: number) => pad.l + ((t - from) / windowMs) * (w - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / niceMax) * (h - pad.t - pad.b);
  const empty = series.every((s) => s.samples.every((p) => p.t < from));
  return (
    <figure className="chart" aria-label={label} ref={ref}>
      <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={w - pad.r} y1={y(niceMax * f)} y2={y(niceMax * f)} className="grid" />
            <text x={pad.l - 6} y={y(niceMax * f) + 4} className="axis" textAnchor="end">
              {fmt(niceMax * f)}
              {f === 1 ? unit : ''}
            </text>
          </g>
        ))}
        <text x={pad.l} y={h - 4} className="axis">
          -{Math.round(windowMs / 60000)} min
        </text>
        <text x={w - pad.r} y={h - 4} className="axis" textAnchor="end">
          now
        </text>
        {series.map((s) => {
          const pts = s.samples.filter((p) => p.t >= from);
          if (pts.length === 0) return null;
          const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
          const lastP = pts[pts.length - 1] as Sample;
          return (
            <g key={s.name}>
              <path d={d} fill="none" stroke={`var(${s.color})`} strokeWidth={1.5} />
              {/* the latest sample as a dot: visible even when a series has a single point */}
              <circle cx={x(lastP.t)} cy={y(lastP.v)} r={2.5} fill={`var(${s.color})`} />
            </g>
          );
        })}
        {empty && (
          <text x={w / 2} y={h / 2} className="axis" textAnchor="middle">
            no samples yet
          </text>
        )}
      </svg>
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

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k`;
  if (v >= 10 || v === 0) return v.toFixed(0);
  return v.toFixed(1);
}

export const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6', '--c7'];

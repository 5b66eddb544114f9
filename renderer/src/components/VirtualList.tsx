import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import './VirtualList.css';

/**
 * Fixed-height row virtualisation: only the rows in view (plus a small overscan) exist in the DOM,
 * so a list of 20k topics costs the same to render as a list of 40.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  renderRow: (item: T, index: number) => ReactNode;
  className?: string;
  /** index to keep in view (keyboard selection) */
  scrollToIndex?: number;
  /** bring scrollToIndex to the middle when it is out of view (search results), not just to the nearest edge */
  center?: boolean;
  testId?: string;
}) {
  const { items, rowHeight, renderRow, className, scrollToIndex, center = false, testId } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || scrollToIndex === undefined || scrollToIndex < 0) return;
    const top = scrollToIndex * rowHeight;
    const out = top < el.scrollTop || top + rowHeight > el.scrollTop + el.clientHeight;
    if (out && center) el.scrollTop = top - (el.clientHeight - rowHeight) / 2;
    else if (top < el.scrollTop) el.scrollTop = top;
    else if (out) el.scrollTop = top + rowHeight - el.clientHeight;
  }, [scrollToIndex, rowHeight, center]);

  const overscan = 8;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} className="vrow" style={{ top: i * rowHeight, height: rowHeight }}>
        {renderRow(items[i] as T, i)}
      </div>,
    );
  }
  return (
    <div ref={ref} className={`vlist ${className ?? ''}`} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid={testId}>
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}

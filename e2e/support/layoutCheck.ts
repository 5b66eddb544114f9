import type { Page } from '@playwright/test';

/**
 * What a person notices first in a layout that does not fit its window, measured in the page:
 *   - the page scrolls sideways (document.scrollingElement.scrollWidth > innerWidth);
 *   - two boxes overlap: panels, cards, tables' scroll boxes, banners and every control (buttons,
 *     fields, badges, links), each pair where neither holds the other, by more than a pixel each way;
 *   - a box's content spills out of it or is cut off: wider than the box (sideways, also inside a
 *     scroll box: a column that scrolls away), or taller than a box that does not scroll (a panel
 *     squeezed to 34 px with its text drawn over the next one; the view area cutting off a panel);
 *   - the top bar's buttons and any badge break onto a second line.
 * Inputs scroll their own text, and a box that ends its text with an ellipsis and carries a title
 * (the full text on hover) is clipped on purpose: those two are not counted as cut off.
 */
export const MEASURED = [
  'header.topbar',
  '.banner',
  'main',
  'main .panel',
  '.hcard',
  '.dcard',
  'main .table-wrap',
  'button',
  'input:not([type="hidden"])',
  'select',
  'textarea',
  'a[href]',
  '.badge',
].join(', ');

/** Must not wrap onto a second line. */
const ONE_LINE = 'header.topbar button, .badge';

export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(
    ({ measured, oneLine }) => {
      const problems: string[] = [];
      const de = document.scrollingElement ?? document.documentElement;
      if (de.scrollWidth > window.innerWidth)
        problems.push(`the page scrolls sideways: scrollWidth ${de.scrollWidth} > ${window.innerWidth}`);

      const label = (el: Element): string => {
        const h = el as HTMLElement;
        const id = h.dataset.testid ? `[data-testid="${h.dataset.testid}"]` : h.id ? `#${h.id}` : '';
        const cls =
          typeof h.className === 'string' && h.className.trim() ? `.${h.className.trim().split(/\s+/).slice(0, 3).join('.')}` : '';
        const text = (h.innerText || h.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 30);
        return `${el.tagName.toLowerCase()}${id}${cls}${text ? ` "${text}"` : ''}`;
      };
      const visible = (el: Element): boolean => {
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) return false;
        const st = getComputedStyle(el);
        return st.visibility !== 'hidden' && st.display !== 'none' && Number(st.opacity) > 0;
      };
      const els = Array.from(document.querySelectorAll(measured)).filter(visible);

      for (const el of els) {
        const h = el as HTMLElement;
        if (el.matches('input, select, textarea')) continue;
        const st = getComputedStyle(el);
        if (st.textOverflow === 'ellipsis' && h.title) continue;
        if (h.scrollWidth > h.clientWidth + 1)
          problems.push(`${label(el)} overflows sideways: content ${h.scrollWidth} px in ${h.clientWidth} px`);
        const scrollsY = st.overflowY === 'auto' || st.overflowY === 'scroll';
        if (!scrollsY && h.scrollHeight > h.clientHeight + 1)
          problems.push(`${label(el)} cuts off or spills its content: ${h.scrollHeight} px tall in ${h.clientHeight} px`);
      }

      for (const el of Array.from(document.querySelectorAll(oneLine))) {
        if (!visible(el)) continue;
        const range = document.createRange();
        range.selectNodeContents(el);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
        if (rects.length === 0) continue;
        const top = Math.min(...rects.map((r) => r.top));
        const bottom = Math.max(...rects.map((r) => r.bottom));
        const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.45;
        if (bottom - top > lineHeight * 1.5) problems.push(`${label(el)} breaks onto ${Math.round((bottom - top) / lineHeight)} lines`);
      }

      // A box scrolled out of its scroll box overlaps nothing: for each pair, each box is cut by the
      // clipping ancestors (scroll boxes, overflow hidden) it does not share with the other. Ones they
      // share scroll both alike, so the whole view is measured, not just what is scrolled into sight.
      type Box = { left: number; top: number; right: number; bottom: number };
      const clippers = new Map<Element, { el: Element; r: DOMRect }[]>();
      const clippersOf = (el: Element) => {
        let list = clippers.get(el);
        if (!list) {
          list = [];
          for (let p = el.parentElement; p; p = p.parentElement) {
            const st = getComputedStyle(p);
            if (st.overflowX !== 'visible' || st.overflowY !== 'visible') list.push({ el: p, r: p.getBoundingClientRect() });
          }
          clippers.set(el, list);
        }
        return list;
      };
      const cut = (el: Element, other: Element): Box => {
        const r = el.getBoundingClientRect();
        const box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
        for (const c of clippersOf(el)) {
          if (c.el.contains(other)) continue;
          box.left = Math.max(box.left, c.r.left);
          box.top = Math.max(box.top, c.r.top);
          box.right = Math.min(box.right, c.r.right);
          box.bottom = Math.min(box.bottom, c.r.bottom);
        }
        return box;
      };
      for (let i = 0; i < els.length; i++) {
        for (let j = i + 1; j < els.length; j++) {
          const a = els[i]!;
          const b = els[j]!;
          if (a.contains(b) || b.contains(a)) continue;
          const ra = cut(a, b);
          const rb = cut(b, a);
          const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
          const hgt = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
          if (w > 1 && hgt > 1) problems.push(`${label(a)} and ${label(b)} overlap by ${Math.round(w)}x${Math.round(hgt)} px`);
        }
      }
      return problems;
    },
    { measured: MEASURED, oneLine: ONE_LINE },
  );
}

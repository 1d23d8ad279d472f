// Windowing: a long list renders only the rows in (and near) its scrolled viewport, with
// spacers above and below standing in for the rest. Rows have one fixed height, so every
// figure here is arithmetic on the scroll offset: which rows to render, where a drop lands,
// how far to scroll to show a row, whether the end is near enough to load the next page.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { RefObject } from "preact";

export interface Span {
  start: number; // first rendered row
  end: number; // one past the last rendered row
  top: number; // height of the spacer above, in px
  bottom: number; // height of the spacer below, in px
}

/** The rows to render for a viewport of `height` px scrolled to `scrollTop`. */
export function windowOf(count: number, rowHeight: number, scrollTop: number, height: number, overscan = 4): Span {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, height)) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.max(start, Math.min(count, last + overscan));
  return { start, end, top: start * rowHeight, bottom: (count - end) * rowHeight };
}

/** Whether fewer than `rows` rows remain below the viewport (time to load the next page). */
export function nearEnd(count: number, rowHeight: number, scrollTop: number, height: number, rows = 10): boolean {
  return count * rowHeight - (scrollTop + height) < rows * rowHeight;
}

/** The insertion index for a pointer `y` px below the top of the list's content. */
export function indexAt(y: number, rowHeight: number, count: number): number {
  return Math.max(0, Math.min(count, Math.floor(y / rowHeight + 0.5)));
}

/** The scroll offset that brings row `index` fully into view, moving as little as possible. */
export function scrollToShow(index: number, rowHeight: number, scrollTop: number, height: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return Math.max(0, top + rowHeight - height);
  return scrollTop;
}

/** The span of `count` rows in the scroll container `ref`, following its scroll and size. */
export function useWindow(ref: RefObject<HTMLElement | null>, count: number, rowHeight: number, overscan = 4): Span {
  const [view, setView] = useState({ top: 0, height: 800 }); // before the first measure
  const rows = useRef({ count, rowHeight, overscan });
  rows.current = { count, rowHeight, overscan };
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const next = { top: element.scrollTop, height: element.clientHeight || 800 };
      // Re-render only when the rendered rows change, not on every pixel of scroll.
      setView((v) => {
        const { count, rowHeight, overscan } = rows.current;
        const before = windowOf(count, rowHeight, v.top, v.height, overscan);
        const after = windowOf(count, rowHeight, next.top, next.height, overscan);
        return before.start === after.start && before.end === after.end ? v : next;
      });
    };
    measure();
    element.addEventListener("scroll", measure, { passive: true });
    const resized = new ResizeObserver(measure);
    resized.observe(element);
    return () => {
      element.removeEventListener("scroll", measure);
      resized.disconnect();
    };
  }, [ref.current]);
  return windowOf(count, rowHeight, view.top, view.height, overscan);
}

/** Calls `load` whenever the container `ref` is scrolled (or sized) near its end. */
export function useNearEnd(ref: RefObject<HTMLElement | null>, count: number, rowHeight: number, active: boolean, load: () => void): void {
  useEffect(() => {
    const element = ref.current;
    if (!element || !active) return;
    const check = () => {
      if (nearEnd(count, rowHeight, element.scrollTop, element.clientHeight)) load();
    };
    check();
    element.addEventListener("scroll", check, { passive: true });
    return () => element.removeEventListener("scroll", check);
  }, [ref.current, count, active]);
}

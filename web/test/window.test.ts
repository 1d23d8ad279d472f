import { describe, expect, it } from "vitest";
import { indexAt, nearEnd, scrollToShow, windowOf } from "../src/window";

describe("window maths", () => {
  it("renders the rows in view plus the overscan, with spacers for the rest", () => {
    // 100,000 rows of 100 px, a 450 px viewport scrolled to row 500.
    expect(windowOf(100_000, 100, 50_000, 450, 2)).toEqual({ start: 498, end: 507, top: 49_800, bottom: (100_000 - 507) * 100 });
    expect(windowOf(100_000, 100, 0, 450, 2)).toEqual({ start: 0, end: 7, top: 0, bottom: (100_000 - 7) * 100 });
  });

  it("stays inside the list at both ends and when it is short or empty", () => {
    expect(windowOf(10, 100, 5_000, 450, 2)).toEqual({ start: 10, end: 10, top: 1000, bottom: 0 });
    expect(windowOf(3, 100, 0, 800, 4)).toEqual({ start: 0, end: 3, top: 0, bottom: 0 });
    expect(windowOf(0, 100, 0, 800)).toEqual({ start: 0, end: 0, top: 0, bottom: 0 });
    expect(windowOf(50, 100, -30, 450, 0)).toEqual({ start: 0, end: 5, top: 0, bottom: 4500 });
  });

  it("says when the end is near enough to load the next page", () => {
    expect(nearEnd(100, 100, 0, 500, 10)).toBe(false);
    expect(nearEnd(100, 100, 8_600, 500, 10)).toBe(true); // 9 rows below the viewport
    expect(nearEnd(3, 100, 0, 800)).toBe(true); // everything loaded fits: load more now
  });

  it("finds where a drop lands, between rows, clamped to the list", () => {
    expect(indexAt(0, 100, 10)).toBe(0);
    expect(indexAt(49, 100, 10)).toBe(0);
    expect(indexAt(51, 100, 10)).toBe(1);
    expect(indexAt(-300, 100, 10)).toBe(0);
    expect(indexAt(99_999, 100, 10)).toBe(10);
  });

  it("scrolls as little as possible to show a row", () => {
    expect(scrollToShow(5, 100, 0, 1000)).toBe(0); // already in view
    expect(scrollToShow(20, 100, 0, 1000)).toBe(1100); // below: its bottom at the viewport's
    expect(scrollToShow(2, 100, 900, 1000)).toBe(200); // above: its top at the viewport's
  });
});

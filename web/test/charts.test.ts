// @vitest-environment node
import { describe, expect, it } from "vitest";
import { areaPath, bands, bucketPosition, duration, labelEvery, linear, linePath, stack, ticks } from "../src/charts/scale";

describe("chart scales", () => {
  it("maps a domain onto pixels, upside down for a y axis", () => {
    const y = linear([0, 10], [200, 0]);
    expect([y(0), y(5), y(10)]).toEqual([200, 100, 0]);
    expect(linear([3, 3], [0, 100])(3)).toBe(0); // a flat domain does not divide by zero
  });

  it("puts round ticks up to the first at or above the largest value", () => {
    expect(ticks(0)).toEqual([0, 1]);
    expect(ticks(3)).toEqual([0, 1, 2, 3]);
    expect(ticks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(ticks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(ticks(130)).toEqual([0, 50, 100, 150]);
  });

  it("lays bars out side by side with a gap", () => {
    expect(bands(2, 100, 0.2)).toEqual([
      { x: 5, width: 40 },
      { x: 55, width: 40 },
    ]);
    expect(bands(0, 100)).toEqual([]);
    expect(bands(1, 400, 0.25, 60)).toEqual([{ x: 170, width: 60 }]); // one wide slot: a bar of its size
  });

  it("labels at most so many days of an axis", () => {
    expect(labelEvery(30, 10)).toBe(3);
    expect(labelEvery(5, 10)).toBe(1);
  });
});

describe("series shaping", () => {
  const days = [
    { date: "2030-01-01", pending: 3, in_progress: 1, completed: 0 },
    { date: "2030-01-02", pending: 1, in_progress: 2, completed: 1 },
  ];

  it("stacks each status on the ones below it", () => {
    const [completed, progress, pending] = stack(days, ["completed", "in_progress", "pending"]);
    expect(completed.points).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(progress.points).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(pending.points).toEqual([
      [1, 4],
      [3, 4],
    ]);
  });

  it("draws a layer's area along its top and back along its bottom", () => {
    const y = linear([0, 4], [40, 0]);
    const x = (i: number) => i * 100;
    expect(areaPath([[1, 4], [3, 4]], x, y)).toBe("M0,0L100,0L100,10L0,30Z");
    expect(linePath([4, 0], x, y)).toBe("M0,0L100,40");
    expect(areaPath([], x, y)).toBe("");
  });

  it("places percentiles on the day buckets of the histogram", () => {
    const buckets = ["0-1d", "1-2d", "2-4d", "4-7d", "7-14d", "14-30d", "30d+"];
    expect(bucketPosition(buckets, 12)).toBe(0.5); // half a day
    expect(bucketPosition(buckets, 72)).toBe(2.5); // 3 days: the middle of 2-4d
    expect(bucketPosition(buckets, 24 * 7)).toBe(4); // the start of 7-14d
    expect(bucketPosition(buckets, 24 * 90)).toBe(6.5); // open-ended: its middle
    expect(bucketPosition(["1-2d"], 1)).toBeNull(); // before every bucket
  });

  it("shows hours under two days, days above", () => {
    expect(duration(5.25)).toBe("5.3 h");
    expect(duration(120)).toBe("5 d");
  });
});

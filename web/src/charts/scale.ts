// The charts' arithmetic, kept apart from the SVG so it is tested on its own: linear scales
// with round ticks, band layout for bars, stacked series for the cumulative flow, and where
// a percentile (in hours) falls on the cycle and lead time histogram (buckets in days).

export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
}

/** Maps [d0, d1] onto [r0, r1]; a flat domain maps everything to r0. */
export function linear(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const scale = ((value: number) => (span === 0 ? r0 : r0 + ((value - d0) / span) * (r1 - r0))) as Scale;
  scale.domain = domain;
  scale.range = range;
  return scale;
}

/** A "nice" step (1, 2 or 5 times a power of ten) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  // Counts of tasks: never a fractional step.
  return Math.max(1, step);
}

/** Ticks 0, step, ... up to the first one at or above `max` (the axis' top). */
export function ticks(max: number, count = 4): number[] {
  const step = niceStep(max, count);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const found: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) found.push(t);
  return found;
}

export interface Band {
  x: number;
  width: number;
}

/** `n` bars across `width`, each with `padding` (a fraction of its slot) split around it,
 * centred in its slot and at most `maxWidth` wide. */
export function bands(n: number, width: number, padding = 0.25, maxWidth = Infinity): Band[] {
  if (n <= 0) return [];
  const slot = width / n;
  const inner = Math.min(maxWidth, slot * (1 - padding));
  return Array.from({ length: n }, (_, i) => ({ x: i * slot + (slot - inner) / 2, width: inner }));
}

export interface Layer {
  key: string;
  /** Per point: the bottom and top of this layer. */
  points: [number, number][];
}

/** Stacks `keys` of each row, first key at the bottom. */
export function stack(rows: object[], keys: string[]): Layer[] {
  const base = rows.map(() => 0);
  return keys.map((key) => ({
    key,
    points: rows.map((row, i) => {
      const bottom = base[i];
      base[i] = bottom + Number((row as Record<string, unknown>)[key] ?? 0);
      return [bottom, base[i]] as [number, number];
    }),
  }));
}

/** The SVG path of a stacked layer: along its top left to right, back along its bottom. */
export function areaPath(points: [number, number][], x: (i: number) => number, y: Scale): string {
  if (points.length === 0) return "";
  const top = points.map(([, t], i) => `${i === 0 ? "M" : "L"}${fmt(x(i))},${fmt(y(t))}`);
  const bottom = points.map(([b], i) => `L${fmt(x(i))},${fmt(y(b))}`).reverse();
  return `${top.join("")}${bottom.join("")}Z`;
}

export function linePath(values: number[], x: (i: number) => number, y: Scale): string {
  return values.map((v, i) => `${i === 0 ? "M" : "L"}${fmt(x(i))},${fmt(y(v))}`).join("");
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

// The reports service's histogram buckets, in days (docs/api.md): `0-1d` ... `30d+`.
export function bucketDays(bucket: string): [number, number] {
  const range = /^(\d+)-(\d+)d$/.exec(bucket);
  if (range) return [Number(range[1]), Number(range[2])];
  const open = /^(\d+)d\+$/.exec(bucket);
  if (open) return [Number(open[1]), Infinity];
  return [NaN, NaN];
}

/** Where `hours` falls on a histogram of `buckets` drawn one slot each: a fractional slot
 * index (2.5 is the middle of the third bucket); in an open-ended last bucket, its middle. */
export function bucketPosition(buckets: string[], hours: number): number | null {
  const days = hours / 24;
  for (let i = 0; i < buckets.length; i++) {
    const [lo, hi] = bucketDays(buckets[i]);
    if (!(days >= lo)) continue;
    if (hi === Infinity) return i + 0.5;
    if (days < hi) return i + (days - lo) / (hi - lo);
  }
  return null;
}

/** "12 h" under two days, else "3.5 d". */
export function duration(hours: number): string {
  if (hours < 48) return `${Math.round(hours * 10) / 10} h`;
  return `${Math.round((hours / 24) * 10) / 10} d`;
}

/** Every `step`th index (and the last) gets a label: at most `max` labels on an axis. */
export function labelEvery(n: number, max: number): number {
  return Math.max(1, Math.ceil(n / Math.max(1, max)));
}

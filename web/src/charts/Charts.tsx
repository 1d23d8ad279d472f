// Small SVG charts of our own (docs/web.md says why no chart library): drawn in pixels at the
// width they get (so labels stay readable on a phone), colours from styles.css classes, each
// with axis titles, a legend, an aria-label and its figures as a table.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { areaPath, bands, bucketPosition, labelEvery, linePath, linear, stack, ticks, type Scale } from "./scale";

const HEIGHT = 220;
const M = { top: 12, right: 12, bottom: 40, left: 40 };

export interface Series {
  key: string;
  label: string;
}

export interface Column {
  label: string;
  value: (row: number) => string | number;
}

/** The width of the element, followed as it changes. */
function useWidth(): [preact.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || 600);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth || 600));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

interface FrameProps {
  title: string;
  summary: string; // the aria-label: what the chart shows in one sentence
  xTitle: string;
  yTitle: string;
  xLabels: string[];
  maxY: number;
  legend: { label: string; cls: string }[];
  table: { columns: Column[]; rows: number };
  slot: "point" | "band";
  actions?: ComponentChildren;
  testId?: string;
  children: (ctx: { x: (i: number) => number; y: Scale; width: number; plotW: number; plotH: number }) => ComponentChildren;
}

export function Frame(props: FrameProps) {
  const [ref, width] = useWidth();
  const plotW = Math.max(60, width - M.left - M.right);
  const plotH = HEIGHT - M.top - M.bottom;
  const yTicks = ticks(props.maxY);
  const y = linear([0, yTicks[yTicks.length - 1]], [plotH, 0]);
  const n = props.xLabels.length;
  const slotW = n > 0 ? plotW / n : plotW;
  const x =
    props.slot === "band"
      ? (i: number) => i * slotW + slotW / 2
      : (i: number) => (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const every = labelEvery(n, Math.floor(plotW / 56));
  return (
    <figure class="chart card" data-testid={props.testId}>
      <figcaption class="chart-head">
        <h3>{props.title}</h3>
        {props.actions}
      </figcaption>
      <div ref={ref} class="chart-plot">
        <svg width={width} height={HEIGHT} role="img" aria-label={`${props.title}: ${props.summary}`}>
          <g transform={`translate(${M.left},${M.top})`}>
            {yTicks.map((t) => (
              <g key={t} class="tick">
                <line x1={0} x2={plotW} y1={y(t)} y2={y(t)} class="grid" />
                <text x={-6} y={y(t)} dy="0.32em" text-anchor="end">
                  {t}
                </text>
              </g>
            ))}
            {props.children({ x, y, width, plotW, plotH })}
            <line x1={0} x2={plotW} y1={plotH} y2={plotH} class="axis" />
            {props.xLabels.map((label, i) =>
              shownLabel(i, n, every) ? (
                <text key={i} class="tick" x={x(i)} y={plotH + 14} text-anchor={anchor(props.slot, i, n)}>
                  {label}
                </text>
              ) : null,
            )}
            <text class="axis-title" x={plotW / 2} y={plotH + 32} text-anchor="middle">
              {props.xTitle}
            </text>
            <text class="axis-title" transform={`translate(${-30},${plotH / 2}) rotate(-90)`} text-anchor="middle">
              {props.yTitle}
            </text>
          </g>
        </svg>
      </div>
      <ul class="legend">
        {props.legend.map((l) => (
          <li key={l.label}>
            <span class={`swatch ${l.cls}`} aria-hidden="true" />
            {l.label}
          </li>
        ))}
      </ul>
      <details class="chart-table">
        <summary>Table</summary>
        <table>
          <thead>
            <tr>
              {props.table.columns.map((c) => (
                <th key={c.label} scope="col">
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: props.table.rows }, (_, r) => (
              <tr key={r}>
                {props.table.columns.map((c) => (
                  <td key={c.label}>{c.value(r)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

type Common = { title: string; summary: string; xTitle: string; yTitle: string; actions?: ComponentChildren; testId?: string };

/** Stacked areas, one per series, first at the bottom (the cumulative flow). */
export function StackedArea<T extends object>(
  props: Common & { rows: T[]; series: Series[]; xLabel: (row: T) => string },
) {
  const layers = stack(props.rows, props.series.map((s) => s.key));
  const top = layers.length ? Math.max(0, ...layers[layers.length - 1].points.map(([, t]) => t)) : 0;
  return (
    <Frame
      {...props}
      slot="point"
      xLabels={props.rows.map(props.xLabel)}
      maxY={top}
      legend={props.series.map((s) => ({ label: s.label, cls: `s-${s.key}` }))}
      table={{
        rows: props.rows.length,
        columns: [
          { label: props.xTitle, value: (r) => props.xLabel(props.rows[r]) },
          ...props.series.map((s) => ({ label: s.label, value: (r: number) => field(props.rows[r], s.key) })),
        ],
      }}
    >
      {({ x, y }) =>
        layers.map((layer) => <path key={layer.key} class={`area s-${layer.key}`} d={areaPath(layer.points, x, y)} />)
      }
    </Frame>
  );
}

/** Lines over the same days (the burndown: open, and the ideal dashed). */
export function Lines<T extends object>(
  props: Common & { rows: T[]; series: Series[]; xLabel: (row: T) => string },
) {
  const values = props.series.map((s) => props.rows.map((r) => field(r, s.key)));
  return (
    <Frame
      {...props}
      slot="point"
      xLabels={props.rows.map(props.xLabel)}
      maxY={Math.max(0, ...values.flat())}
      legend={props.series.map((s) => ({ label: s.label, cls: `s-${s.key}` }))}
      table={{
        rows: props.rows.length,
        columns: [
          { label: props.xTitle, value: (r) => props.xLabel(props.rows[r]) },
          ...props.series.map((s, i) => ({ label: s.label, value: (r: number) => round(values[i][r]) })),
        ],
      }}
    >
      {({ x, y }) =>
        props.series.map((s, i) => <path key={s.key} class={`line s-${s.key}`} d={linePath(values[i], x, y)} />)
      }
    </Frame>
  );
}

export interface Bar {
  label: string;
  value: number;
  /** The part of the bar drawn highlighted (overdue tasks), from its bottom. */
  highlight?: number;
}

export interface Marker {
  label: string;
  hours: number;
}

/** Bars per category; optionally a highlighted part of each, and markers (percentiles) at
 * fractional slots of a histogram. */
export function Bars(
  props: Common & {
    bars: Bar[];
    valueLabel: string;
    highlightLabel?: string;
    markers?: Marker[];
    markerText?: (hours: number) => string;
  },
) {
  const { bars } = props;
  const legend = [{ label: props.valueLabel, cls: "s-bar" }];
  if (props.highlightLabel) legend.push({ label: props.highlightLabel, cls: "s-overdue" });
  const markers = (props.markers ?? [])
    .map((m) => ({ ...m, at: bucketPosition(bars.map((b) => b.label), m.hours) }))
    .filter((m): m is Marker & { at: number } => m.at !== null);
  if (markers.length) legend.push({ label: "p50 / p85 / p95", cls: "s-marker" });
  const columns: Column[] = [
    { label: props.xTitle, value: (r) => bars[r].label },
    { label: props.valueLabel, value: (r) => bars[r].value },
  ];
  if (props.highlightLabel) columns.push({ label: props.highlightLabel, value: (r) => bars[r].highlight ?? 0 });
  return (
    <Frame
      {...props}
      slot="band"
      xLabels={bars.map((b) => b.label)}
      maxY={Math.max(0, ...bars.map((b) => b.value))}
      legend={legend}
      table={{ rows: bars.length, columns }}
    >
      {({ y, plotW, plotH }) => {
        const slots = bands(bars.length, plotW, 0.25, 72);
        const slotW = bars.length ? plotW / bars.length : plotW;
        return (
          <>
            {bars.map((b, i) => (
              <g key={b.label}>
                <rect class="bar s-bar" x={slots[i].x} width={slots[i].width} y={y(b.value)} height={plotH - y(b.value)}>
                  <title>{`${b.label}: ${b.value}`}</title>
                </rect>
                {!!b.highlight && (
                  <rect
                    class="bar s-overdue"
                    x={slots[i].x}
                    width={slots[i].width}
                    y={y(b.highlight)}
                    height={plotH - y(b.highlight)}
                  >
                    <title>{`${b.label}: ${b.highlight} ${props.highlightLabel ?? ""}`}</title>
                  </rect>
                )}
              </g>
            ))}
            {markers.map((m, i) => (
              <g key={m.label} class="marker">
                <line x1={m.at * slotW} x2={m.at * slotW} y1={0} y2={plotH} />
                <text x={m.at * slotW + 3} y={10 + i * 12}>
                  {`${m.label} ${props.markerText ? props.markerText(m.hours) : m.hours}`}
                </text>
              </g>
            ))}
          </>
        );
      }}
    </Frame>
  );
}

/** Every `every`th label, and the last, unless it would sit on the one before it. */
function shownLabel(i: number, n: number, every: number): boolean {
  if (i === n - 1) return true;
  return i % every === 0 && n - 1 - i >= every;
}

// Days run edge to edge: the first and last labels are kept inside the plot.
function anchor(slot: "point" | "band", i: number, n: number): string {
  if (slot === "band" || n <= 1) return "middle";
  return i === 0 ? "start" : i === n - 1 ? "end" : "middle";
}

function field(row: object, key: string): number {
  return Number((row as Record<string, unknown>)[key] ?? 0);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

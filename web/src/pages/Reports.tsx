import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { Bars, Lines, StackedArea } from "../charts/Charts";
import { duration } from "../charts/scale";
import { Exports } from "../components/Exports";
import { RoomTabs } from "../components/Layout";
import {
  type AssigneeLoad,
  type BurndownDay,
  type FlowDay,
  type FlowTime,
  type Range,
  type Summary,
  type WeekCount,
  dayLabel,
  defaultRange,
  rangeDays,
  rangeWeeks,
  saveBlob,
} from "../reports";
import { memberName, useRoom } from "../roomdata";
import { onRoomEvent, toast } from "../session";
import { PRIORITIES, ROLE_RANK, STATUSES, STATUS_LABEL, type Member } from "../types";
import { dateTime, errorText } from "../util";

interface Figures {
  summary: Summary;
  flow: FlowDay[];
  burndown: BurndownDay[];
  throughput: WeekCount[];
  cycle: FlowTime;
  lead: FlowTime;
  workload: AssigneeLoad[];
}

type ReportName = "summary" | "cumulative-flow" | "burndown" | "throughput" | "cycle-time" | "lead-time" | "workload";

// After a task event (and once after the page opens): when the figures are asked for again.
const RELOADS_MS = [1000, 5000];

function queryOf(name: ReportName, range: Range): Record<string, string | number> {
  switch (name) {
    case "summary":
      return { tz: range.tz };
    case "throughput":
      return { tz: range.tz, weeks: rangeWeeks(range) };
    case "workload":
      return {};
    default:
      return { from: range.from, to: range.to, tz: range.tz };
  }
}

async function loadFigures(roomId: string, range: Range): Promise<Figures> {
  const get = <T,>(name: ReportName) => api.get<T>(`/rooms/${roomId}/reports/${name}`, queryOf(name, range));
  const [summary, flow, burndown, throughput, cycle, lead, workload] = await Promise.all([
    get<Summary>("summary"),
    get<{ days: FlowDay[] }>("cumulative-flow"),
    get<{ days: BurndownDay[] }>("burndown"),
    get<{ weeks: WeekCount[] }>("throughput"),
    get<FlowTime>("cycle-time"),
    get<FlowTime>("lead-time"),
    get<{ assignees: AssigneeLoad[] }>("workload"),
  ]);
  return {
    summary,
    flow: flow.days,
    burndown: burndown.days,
    throughput: throughput.weeks,
    cycle,
    lead,
    workload: workload.assignees,
  };
}

export function ReportsPage({ roomId }: { roomId: string }) {
  const { room, members } = useRoom(roomId);
  const [range, setRange] = useState<Range>(() => defaultRange());
  const [figures, setFigures] = useState<Figures | null>(null);
  const [error, setError] = useState("");
  const rangeRef = useRef(range);
  rangeRef.current = range;

  async function load(r: Range) {
    try {
      const found = await loadFigures(roomId, r);
      if (rangeRef.current === r) {
        setFigures(found);
        setError("");
      }
    } catch (e) {
      // A zone the server's time zone database lacks: count the days in UTC instead.
      if (e instanceof ApiError && e.status === 422 && /\btz\b/.test(e.detail) && r.tz !== "UTC") {
        toast(`The server does not know the time zone ${r.tz}: the days are counted in UTC.`, "info");
        return setRange({ ...r, tz: "UTC" });
      }
      setError(errorText(e));
    }
  }

  useEffect(() => {
    void load(range);
  }, [roomId, range]);

  // The figures come from a read model that follows the tasks by events, a moment behind a
  // change: reload a second after a task event and again a few seconds later (a change made
  // just before the page opened, or a consumer that was behind, shows up then).
  useEffect(() => {
    let timers: ReturnType<typeof setTimeout>[] = [];
    const reloadSoon = () => {
      timers.forEach(clearTimeout);
      timers = RELOADS_MS.map((ms) => setTimeout(() => void load(rangeRef.current), ms));
    };
    timers = [setTimeout(() => void load(rangeRef.current), RELOADS_MS[1])];
    const stop = onRoomEvent((id, event) => {
      if (id !== roomId || (event && !event.type.startsWith("task."))) return;
      reloadSoon();
    });
    return () => {
      timers.forEach(clearTimeout);
      stop();
    };
  }, [roomId]);

  function change(field: "from" | "to", value: string) {
    if (!value) return;
    const next = { ...range, [field]: value };
    if (next.from > next.to) return setError("The first day must come before the last.");
    if (rangeDays(next) > 366) return setError("A range covers at most 366 days.");
    setRange(next);
  }

  async function csv(name: ReportName) {
    try {
      const { blob, filename } = await api.file(`/rooms/${roomId}/reports/${name}`, { ...queryOf(name, range), format: "csv" });
      saveBlob(blob, filename ?? `${name}.csv`);
    } catch (e) {
      toast(errorText(e));
    }
  }
  const csvButton = (name: ReportName, label: string) => (
    <button type="button" class="small-button" onClick={() => void csv(name)} aria-label={`Download ${label} as CSV`}>
      CSV
    </button>
  );

  const s = figures?.summary;
  return (
    <main class="page wide reports">
      <header class="page-head">
        <h1>{room?.name ?? "…"}</h1>
        <RoomTabs roomId={roomId} current="reports" role={room?.my_role} />
      </header>
      <form class="range card" onSubmit={(e) => e.preventDefault()} aria-label="Days of the reports">
        <label>
          From
          <input type="date" value={range.from} max={range.to} onChange={(e) => change("from", e.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" value={range.to} min={range.from} onChange={(e) => change("to", e.currentTarget.value)} />
        </label>
        <button type="button" onClick={() => setRange(defaultRange(new Date(), range.tz))}>
          Last 30 days
        </button>
        <span class="muted small">Days in {range.tz}</span>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!figures && !error && <p class="muted">Loading…</p>}
      {s && figures && (
        <>
          <section aria-labelledby="now-title">
            <div class="row">
              <h2 id="now-title">Now</h2>
              <span class="muted small">as of {dateTime(s.as_of)}</span>
              <span class="spacer" />
              {csvButton("summary", "the summary")}
            </div>
            <div class="stat-cards">
              <Stat label="Open" value={s.open} />
              <Stat label="Overdue" value={s.overdue} warn={s.overdue > 0} />
              <Stat label="Due this week" value={s.due_this_week} />
              <Stat label="Completed this week" value={s.completed_this_week} />
              <Stat label="Completed last week" value={s.completed_last_week} />
            </div>
            <div class="breakdowns">
              <Breakdown
                title="By status"
                rows={STATUSES.map((k) => [STATUS_LABEL[k], s.by_status[k] ?? 0])}
              />
              <Breakdown title="By priority" rows={PRIORITIES.map((k) => [k, s.by_priority[k] ?? 0])} />
              <Breakdown
                title="By assignee"
                rows={s.by_assignee.map((a) => [assigneeName(members, a.assignee_id), a.tasks])}
              />
            </div>
          </section>
          <section class="charts" aria-label="Charts">
            <StackedArea
              testId="chart-flow"
              title="Cumulative flow"
              summary={flowSummary(figures.flow)}
              xTitle="Day"
              yTitle="Tasks"
              rows={figures.flow}
              series={[
                { key: "completed", label: STATUS_LABEL.completed },
                { key: "in_progress", label: STATUS_LABEL.in_progress },
                { key: "pending", label: STATUS_LABEL.pending },
              ]}
              xLabel={(d) => dayLabel(d.date)}
              actions={csvButton("cumulative-flow", "the cumulative flow")}
            />
            <Lines
              testId="chart-burndown"
              title="Burndown"
              summary={burndownSummary(figures.burndown)}
              xTitle="Day"
              yTitle="Open tasks"
              rows={figures.burndown}
              series={[
                { key: "open", label: "Open" },
                { key: "ideal", label: "Ideal" },
              ]}
              xLabel={(d) => dayLabel(d.date)}
              actions={csvButton("burndown", "the burndown")}
            />
            <Bars
              testId="chart-throughput"
              title="Throughput"
              summary={`${figures.throughput.reduce((n, w) => n + w.completed, 0)} tasks completed in the last ${figures.throughput.length} weeks.`}
              xTitle="Week starting"
              yTitle="Completed"
              valueLabel="Completed"
              bars={figures.throughput.map((w) => ({ label: dayLabel(w.week_start), value: w.completed }))}
              actions={csvButton("throughput", "the throughput")}
            />
            <FlowTimeChart name="cycle-time" title="Cycle time" found={figures.cycle} action={csvButton("cycle-time", "the cycle time")} />
            <FlowTimeChart name="lead-time" title="Lead time" found={figures.lead} action={csvButton("lead-time", "the lead time")} />
            <Bars
              testId="chart-workload"
              title="Workload"
              summary={
                figures.workload
                  .map((a) => `${assigneeName(members, a.assignee_id)}: ${a.open} open, ${a.overdue} overdue`)
                  .join("; ") || "No open tasks."
              }
              xTitle="Assignee"
              yTitle="Open tasks"
              valueLabel="Open"
              highlightLabel="Overdue"
              bars={figures.workload.map((a) => ({
                label: assigneeName(members, a.assignee_id),
                value: a.open,
                highlight: a.overdue,
              }))}
              actions={csvButton("workload", "the workload")}
            />
          </section>
        </>
      )}
      {room && ROLE_RANK[room.my_role] >= ROLE_RANK.member ? (
        <Exports roomId={roomId} range={range} />
      ) : (
        room && <p class="muted">Exports are for members and up: as a viewer you can download each report's CSV.</p>
      )}
    </main>
  );
}

function Stat({ label, value, warn = false }: { label: string; value: number; warn?: boolean }) {
  return (
    <div class={`stat card${warn ? " warn" : ""}`}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

function Breakdown({ title, rows }: { title: string; rows: [string, number][] }) {
  return (
    <div class="breakdown card">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="muted small">No tasks.</p>
      ) : (
        <dl>
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

function FlowTimeChart({ name, title, found, action }: { name: string; title: string; found: FlowTime; action: preact.ComponentChildren }) {
  const markers: { label: string; hours: number }[] = [];
  if (found.p50_hours !== null) markers.push({ label: "p50", hours: found.p50_hours });
  if (found.p85_hours !== null) markers.push({ label: "p85", hours: found.p85_hours });
  if (found.p95_hours !== null) markers.push({ label: "p95", hours: found.p95_hours });
  const summary =
    found.tasks === 0
      ? "No task was completed in these days."
      : `${found.tasks} tasks; ${markers.map((m) => `${m.label} ${duration(m.hours)}`).join(", ")}.`;
  return (
    <Bars
      testId={`chart-${name}`}
      title={title}
      summary={summary}
      xTitle="Days"
      yTitle="Tasks"
      valueLabel="Tasks"
      bars={found.histogram.map((b) => ({ label: b.bucket, value: b.tasks }))}
      markers={markers}
      markerText={duration}
      actions={action}
    />
  );
}

function assigneeName(members: Member[], id: string | null): string {
  return id ? memberName(members, id) : "Nobody";
}

function flowSummary(days: FlowDay[]): string {
  const last = days[days.length - 1];
  if (!last) return "No days.";
  return `on ${last.date}: ${STATUSES.map((k) => `${last[k]} ${STATUS_LABEL[k].toLowerCase()}`).join(", ")}.`;
}

function burndownSummary(days: BurndownDay[]): string {
  if (!days.length) return "No days.";
  return `${days[0].open} open on ${days[0].date}, ${days[days.length - 1].open} on ${days[days.length - 1].date}.`;
}

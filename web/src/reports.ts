// The reports service's shapes (docs/api.md, "Reports"), the default day range, saving a
// file from a blob, and the background export: queue it, poll it until it is done or failed.

import { type Api, ApiError } from "./api";
import type { Status } from "./types";
import { errorText } from "./util";

export interface Summary {
  as_of: string;
  week_start: string;
  by_status: Record<string, number>;
  by_priority: Record<string, number>;
  by_assignee: { assignee_id: string | null; tasks: number }[];
  total: number;
  open: number;
  overdue: number;
  due_this_week: number;
  completed_this_week: number;
  completed_last_week: number;
}

export type FlowDay = { date: string } & Record<Status, number>;
export interface BurndownDay {
  date: string;
  open: number;
  ideal: number;
}
export interface WeekCount {
  week_start: string;
  completed: number;
}
export interface FlowTime {
  tasks: number;
  p50_hours: number | null;
  p85_hours: number | null;
  p95_hours: number | null;
  histogram: { bucket: string; tasks: number }[];
}
export interface AssigneeLoad {
  assignee_id: string | null;
  open: number;
  overdue: number;
}

export interface Range {
  from: string; // YYYY-MM-DD, local days of `tz`
  to: string;
  tz: string;
}

export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** `YYYY-MM-DD` of a local date. */
export function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The 30 days up to today (the reports service's own default), in the browser's zone. */
export function defaultRange(now = new Date(), tz = browserZone()): Range {
  const first = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 29);
  return { from: isoDay(first), to: isoDay(now), tz };
}

/** Days from `from` to `to`, both counted. */
export function rangeDays(range: Range): number {
  const [a, b] = [range.from, range.to].map((d) => Date.parse(`${d}T00:00:00Z`));
  return Math.round((b - a) / 86_400_000) + 1;
}

/** Weeks of throughput matching the range's length (1 to 53, as the service allows). */
export function rangeWeeks(range: Range): number {
  return Math.min(53, Math.max(1, Math.ceil(rangeDays(range) / 7)));
}

/** `Mar 4` for an ISO day, read as that calendar day (never shifted by the zone). */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/** Saves a blob as a file through a temporary `download` link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Background exports.

export type ExportKind = "tasks" | "activity" | "flow";
export type ExportFormat = "csv" | "xlsx";

export interface ExportJob {
  id: string;
  kind: ExportKind;
  format: ExportFormat;
  state: "queued" | "running" | "done" | "failed";
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
  error: string | null;
  download_url: string | null;
}

/** What the page shows of an export: `busy` is the 409 (one of yours is unfinished). */
export type ExportView =
  | { phase: "idle" }
  | { phase: "queued" | "running" | "done"; job: ExportJob }
  | { phase: "failed"; job: ExportJob | null; message: string }
  | { phase: "busy"; message: string };

export interface PollOptions {
  onChange: (view: ExportView) => void;
  wait?: (ms: number) => Promise<void>;
  interval?: number;
  maxPolls?: number;
  isCancelled?: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Queues an export and polls it until it is done or failed (or `maxPolls` passed, or the
 * page went away); every state seen goes to `onChange`; answers the last one. */
export async function runExport(
  client: Pick<Api, "request" | "get">,
  roomId: string,
  body: { kind: ExportKind; format: ExportFormat; from?: string; to?: string; tz?: string },
  options: PollOptions,
): Promise<ExportView> {
  const { onChange, wait = sleep, interval = 1000, maxPolls = 600, isCancelled = () => false } = options;
  const show = (view: ExportView) => {
    if (!isCancelled()) onChange(view);
    return view;
  };
  let job: ExportJob;
  try {
    job = (await client.request<ExportJob>("POST", `/rooms/${roomId}/reports/exports`, { body })).data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return show({ phase: "busy", message: errorText(e) });
    return show({ phase: "failed", job: null, message: errorText(e) });
  }
  for (let polls = 0; ; polls++) {
    if (job.state === "done") return show({ phase: "done", job });
    if (job.state === "failed") return show({ phase: "failed", job, message: job.error || "The export failed." });
    show({ phase: job.state, job });
    if (isCancelled()) return { phase: job.state, job };
    if (polls >= maxPolls) return show({ phase: "failed", job, message: "The export is taking too long; try again later." });
    await wait(interval);
    try {
      job = await client.get<ExportJob>(`/rooms/${roomId}/reports/exports/${job.id}`);
    } catch (e) {
      return show({ phase: "failed", job, message: errorText(e) });
    }
  }
}

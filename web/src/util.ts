import { ApiError } from "./api";

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return error.detail;
    return error.detail || error.title;
  }
  return error instanceof Error ? error.message : String(error);
}

export function newKey(): string {
  return crypto.randomUUID();
}

// One formatter, made once: toLocaleDateString builds a new one per call, which showed in
// the profile of a scrolling board (a card per row, a date per card).
const SHORT_DATE = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return "";
  return SHORT_DATE.format(new Date(iso));
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** `2030-01-02T10:00` for <input type="datetime-local"> from an ISO time (local zone). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  return value ? new Date(value).toISOString() : null;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function isOverdue(deadline: string | null, status: string): boolean {
  return !!deadline && status !== "completed" && Date.parse(deadline) < Date.now();
}

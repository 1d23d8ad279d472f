// The board's state and its pure transitions: tasks by id, columns by status ordered by
// position, drag-and-drop moves (with the patch to send and the state to roll back to), and
// live events applied in place.

import type { LiveEvent, Priority, Status, Task } from "./types";
import { PRIORITIES, STATUSES } from "./types";

export interface Filters {
  q: string;
  assignee: string; // "", "me", "none" or a user id
  label: string;
  priority: Priority | "";
  overdue: boolean;
}

export const NO_FILTERS: Filters = { q: "", assignee: "", label: "", priority: "", overdue: false };

export interface Board {
  tasks: Record<string, Task>;
  /** Per column, the cursor of its next page (null: all loaded). */
  cursors: Record<Status, string | null>;
}

export function emptyBoard(): Board {
  return { tasks: {}, cursors: { pending: null, in_progress: null, completed: null } };
}

export function byPosition(a: Task, b: Task): number {
  return a.position - b.position || a.number - b.number;
}

export type SortKey = "position" | "number" | "title" | "priority" | "deadline" | "status";

export function sortTasks(tasks: Task[], key: SortKey, descending = false): Task[] {
  const rank = (t: Task): number | string => {
    switch (key) {
      case "priority":
        return PRIORITIES.indexOf(t.priority);
      case "status":
        return STATUSES.indexOf(t.status);
      case "deadline":
        return t.deadline ?? "\uffff"; // no deadline last
      case "title":
        return t.title.toLowerCase();
      case "number":
        return t.number;
      default:
        return t.position;
    }
  };
  const sorted = [...tasks].sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    return (x < y ? -1 : x > y ? 1 : 0) || a.number - b.number;
  });
  return descending ? sorted.reverse() : sorted;
}

/** Whether a task passes the filters (for tasks arriving live; lists are filtered by the API). */
export function matches(task: Task, filters: Filters, me: string | null, now = Date.now()): boolean {
  if (filters.q) {
    const q = filters.q.toLowerCase();
    if (!task.title.toLowerCase().includes(q) && !task.description.toLowerCase().includes(q)) return false;
  }
  if (filters.assignee === "me" && task.assignee_id !== me) return false;
  if (filters.assignee === "none" && task.assignee_id !== null) return false;
  if (filters.assignee && !["me", "none"].includes(filters.assignee) && task.assignee_id !== filters.assignee)
    return false;
  if (filters.label && !task.labels.some((l) => l.toLowerCase() === filters.label.toLowerCase())) return false;
  if (filters.priority && task.priority !== filters.priority) return false;
  if (filters.overdue) {
    if (!task.deadline || task.status === "completed" || Date.parse(task.deadline) >= now) return false;
  }
  return true;
}

export function column(board: Board, status: Status): Task[] {
  return Object.values(board.tasks).filter((t) => t.status === status).sort(byPosition);
}

export function withTasks(board: Board, tasks: Task[]): Board {
  const next = { ...board.tasks };
  for (const task of tasks) {
    const known = next[task.id];
    if (!known || known.version <= task.version) next[task.id] = task;
  }
  return { ...board, tasks: next };
}

export function withoutTask(board: Board, id: string): Board {
  if (!(id in board.tasks)) return board;
  const next = { ...board.tasks };
  delete next[id];
  return { ...board, tasks: next };
}

/** A position between two neighbours (either may be missing). */
export function positionBetween(before?: Task, after?: Task): number {
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1;
  if (after) return after.position - 1;
  return 1;
}

export interface Move {
  board: Board; // the optimistic state
  previous: Task; // what to roll back to
  patch: { status?: Status; position: number };
}

/** Moves a task to `index` in the column `status` (index among the other tasks there). */
export function moveTask(board: Board, id: string, status: Status, index: number): Move | null {
  const task = board.tasks[id];
  if (!task) return null;
  const others = column(board, status).filter((t) => t.id !== id);
  const at = Math.max(0, Math.min(index, others.length));
  const position = positionBetween(others[at - 1], others[at]);
  if (task.status === status && task.position === position) return null;
  const patch: Move["patch"] = { position };
  if (task.status !== status) patch.status = status;
  const moved: Task = { ...task, ...patch };
  return { board: { ...board, tasks: { ...board.tasks, [id]: moved } }, previous: task, patch };
}

/** Puts back the task as it was before a failed move, unless a newer version arrived. */
export function rollback(board: Board, previous: Task): Board {
  const current = board.tasks[previous.id];
  if (current && current.version > previous.version) return board;
  return { ...board, tasks: { ...board.tasks, [previous.id]: previous } };
}

export type Outcome = { board: Board; fetch?: string };

/** Applies a room event to the board; `fetch` names a task to load whole (a new one). */
export function applyEvent(board: Board, event: LiveEvent): Outcome {
  const data = event.data as Record<string, unknown>;
  const id = String(data.task_id ?? "");
  switch (event.type) {
    case "task.created":
      return board.tasks[id] ? { board } : { board, fetch: id };
    case "task.deleted":
      return { board: withoutTask(board, id) };
    case "task.updated": {
      const task = board.tasks[id];
      const version = Number(data.version);
      if (!task) return { board, fetch: id };
      if (task.version >= version) return { board };
      if (version > task.version + 1) return { board, fetch: id }; // missed a change: reload it
      const changes = (data.changes ?? {}) as Partial<Task>;
      return { board: { ...board, tasks: { ...board.tasks, [id]: { ...task, ...changes, version } } } };
    }
    case "comment.created":
    case "comment.deleted": {
      const task = board.tasks[id];
      if (!task) return { board };
      const delta = event.type === "comment.created" ? 1 : -1;
      const count = Math.max(0, (task.comment_count ?? 0) + delta);
      return { board: { ...board, tasks: { ...board.tasks, [id]: { ...task, comment_count: count } } } };
    }
    case "file.uploaded":
    case "file.deleted": {
      const task = board.tasks[id];
      if (!task) return { board };
      const delta = event.type === "file.uploaded" ? 1 : -1;
      const count = Math.max(0, (task.file_count ?? 0) + delta);
      return { board: { ...board, tasks: { ...board.tasks, [id]: { ...task, file_count: count } } } };
    }
    default:
      return { board };
  }
}

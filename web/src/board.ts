// The board's state and its pure transitions: tasks by id, columns by status ordered by
// position, drag-and-drop moves (with the patch to send and the state to roll back to), and
// live events applied in place.

import type { LiveEvent, Page, Priority, Status, Task } from "./types";
import { PRIORITIES, STATUSES } from "./types";

export interface Filters {
  q: string;
  assignee: string; // "", "me", "none" or a user id
  label: string;
  priority: Priority | "";
  overdue: boolean;
}

export const NO_FILTERS: Filters = { q: "", assignee: "", label: "", priority: "", overdue: false };

export type Counts = Record<Status, number>;

/**
 * A board of a big room holds, per column, only the pages loaded so far: a prefix of the
 * column in position order. `edges` marks where each prefix ends while more pages remain; a
 * task known to lie past it (moved there, or arrived live) is not shown until its page comes,
 * so a column never shows a gap. `counts` are the API's figures, kept current by moves and
 * events; `born` lists the tasks created since the counts were read, counted once each.
 */
export interface Board {
  tasks: Record<string, Task>;
  /** Per column, the cursor of its next page (null: all loaded). */
  cursors: Record<Status, string | null>;
  /** Per column, the position of its last loaded task while more pages remain. */
  edges: Record<Status, number | null>;
  counts: Counts | null;
  born: Record<string, true>;
}

export function emptyBoard(): Board {
  const none = { pending: null, in_progress: null, completed: null };
  return { tasks: {}, cursors: { ...none }, edges: { ...none }, counts: null, born: {} };
}

/** The board with one more page of the column `status`. */
export function withPage(board: Board, status: Status, page: Page<Task>): Board {
  const last = page.items[page.items.length - 1];
  const edge = page.next_cursor === null ? null : (last?.position ?? board.edges[status]);
  const next = withTasks(board, page.items);
  return { ...next, cursors: { ...board.cursors, [status]: page.next_cursor }, edges: { ...board.edges, [status]: edge } };
}

/** Tasks in a column: what the API counted, or what is loaded until the counts arrive. */
export function columnCount(board: Board, status: Status): number {
  return board.counts ? board.counts[status] : column(board, status).length;
}

/** The counts after a task went from `before` to `after` (either may be missing). */
function recounted(counts: Counts | null, before?: Status, after?: Status): Counts | null {
  if (!counts || before === after) return counts;
  const next = { ...counts };
  if (before) next[before] = Math.max(0, next[before] - 1);
  if (after) next[after] += 1;
  return next;
}

/** A task created here or announced live: added to the counts once, whichever comes first. */
export function created(board: Board, id: string, status: Status): Board {
  if (board.born[id]) return board;
  return { ...board, counts: recounted(board.counts, undefined, status), born: { ...board.born, [id]: true } };
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

/** A column's loaded tasks in position order, up to its edge. */
export function column(board: Board, status: Status): Task[] {
  const edge = board.edges[status];
  return Object.values(board.tasks)
    .filter((t) => t.status === status && (edge === null || t.position <= edge))
    .sort(byPosition);
}

/** The board with newer versions of `tasks`; a known task that changed column moves its count. */
export function withTasks(board: Board, tasks: Task[]): Board {
  const next = { ...board.tasks };
  let counts = board.counts;
  for (const task of tasks) {
    const known = next[task.id];
    if (!known || known.version <= task.version) {
      next[task.id] = task;
      if (known) counts = recounted(counts, known.status, task.status);
    }
  }
  return { ...board, tasks: next, counts };
}

export function withoutTask(board: Board, id: string): Board {
  const task = board.tasks[id];
  if (!task) return board;
  const next = { ...board.tasks };
  delete next[id];
  return { ...board, tasks: next, counts: recounted(board.counts, task.status, undefined) };
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

/**
 * Moves a task to `index` in the column `status` (index among the other tasks there), or,
 * with `last` (the column's last task, read from the API when its end is not loaded), after
 * every task of the column.
 */
export function moveTask(board: Board, id: string, status: Status, index: number, last?: Task | null): Move | null {
  const task = board.tasks[id];
  if (!task) return null;
  const others = column(board, status).filter((t) => t.id !== id);
  const at = Math.max(0, Math.min(index, others.length));
  let position = positionBetween(others[at - 1], others[at]);
  if (last !== undefined) position = last && last.id !== id ? last.position + 1 : task.position;
  if (task.status === status && task.position === position) return null;
  const patch: Move["patch"] = { position };
  if (task.status !== status) patch.status = status;
  const moved: Task = { ...task, ...patch };
  const counts = recounted(board.counts, task.status, status);
  return { board: { ...board, tasks: { ...board.tasks, [id]: moved }, counts }, previous: task, patch };
}

/** Puts back the task as it was before a failed move, unless a newer version arrived. */
export function rollback(board: Board, previous: Task): Board {
  const current = board.tasks[previous.id];
  if (current && current.version > previous.version) return board;
  const counts = recounted(board.counts, current?.status, previous.status);
  return { ...board, tasks: { ...board.tasks, [previous.id]: previous }, counts };
}

/**
 * What an event did: `fetch` names a task to load whole (it belongs in a loaded part of a
 * column); `recount` says the counts could not follow (a task that is not loaded was deleted).
 */
export type Outcome = { board: Board; fetch?: string; recount?: boolean };

/** Applies a room event to the board; `fetch` names a task to load whole (a new one). */
export function applyEvent(board: Board, event: LiveEvent): Outcome {
  const data = event.data as Record<string, unknown>;
  const id = String(data.task_id ?? "");
  switch (event.type) {
    case "task.created": {
      const status = data.status as Status;
      const next = created(board, id, status);
      // A new task goes to the end of its column: shown now only if that end is loaded.
      return board.tasks[id] || board.cursors[status] !== null ? { board: next } : { board: next, fetch: id };
    }
    case "task.deleted":
      return board.tasks[id] ? { board: withoutTask(board, id) } : { board, recount: true };
    case "task.updated": {
      const task = board.tasks[id];
      const version = Number(data.version);
      const changes = (data.changes ?? {}) as Partial<Task>;
      if (!task) {
        if (!changes.status) return { board };
        const before = ((data.previous ?? {}) as Partial<Task>).status;
        if (!before) return { board, recount: true }; // a version 1 event: no previous status
        const next = { ...board, counts: recounted(board.counts, before, changes.status) };
        return board.cursors[changes.status] === null ? { board: next, fetch: id } : { board: next };
      }
      if (task.version >= version) return { board };
      if (version > task.version + 1) return { board, fetch: id }; // missed a change: reload it
      return { board: withTasks(board, [{ ...task, ...changes, version }]) };
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

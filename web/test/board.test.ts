import { describe, expect, it } from "vitest";
import {
  type Board,
  NO_FILTERS,
  applyEvent,
  column,
  columnCount,
  created,
  emptyBoard,
  matches,
  moveTask,
  positionBetween,
  rollback,
  sortTasks,
  withPage,
  withTasks,
} from "../src/board";
import type { LiveEvent } from "../src/types";
import { task } from "./fixtures";

function event(type: string, data: Record<string, unknown>): LiveEvent {
  return { id: "e", type, occurred_at: "", actor_id: null, data };
}

describe("columns", () => {
  it("groups tasks by status in position order", () => {
    const a = task({ position: 3 });
    const b = task({ position: 1 });
    const c = task({ status: "completed" });
    const board = withTasks(emptyBoard(), [a, b, c]);
    expect(column(board, "pending").map((t) => t.id)).toEqual([b.id, a.id]);
    expect(column(board, "completed")).toEqual([c]);
    expect(column(board, "in_progress")).toEqual([]);
  });

  it("keeps the newer version of a task it already holds", () => {
    const a = task({ version: 3, title: "new" });
    const board = withTasks(withTasks(emptyBoard(), [a]), [{ ...a, version: 2, title: "old" }]);
    expect(board.tasks[a.id].title).toBe("new");
  });
});

describe("moves", () => {
  it("puts a task between its new neighbours and changes its status", () => {
    const a = task({ status: "in_progress", position: 10 });
    const b = task({ status: "in_progress", position: 20 });
    const moving = task({ position: 5 });
    const move = moveTask(withTasks(emptyBoard(), [a, b, moving]), moving.id, "in_progress", 1)!;
    expect(move.patch).toEqual({ status: "in_progress", position: 15 });
    expect(column(move.board, "in_progress").map((t) => t.id)).toEqual([a.id, moving.id, b.id]);
    expect(move.previous).toBe(moving);
  });

  it("reorders within a column without sending the status", () => {
    const a = task({ position: 1 });
    const b = task({ position: 2 });
    const move = moveTask(withTasks(emptyBoard(), [a, b]), b.id, "pending", 0)!;
    expect(move.patch).toEqual({ position: 0 });
  });

  it("does nothing when the task stays where it is", () => {
    const a = task({ position: 1 });
    expect(moveTask(withTasks(emptyBoard(), [a]), a.id, "pending", 0)).toBeNull();
  });

  it("rolls a failed move back, unless a newer version came meanwhile", () => {
    const a = task({ position: 1 });
    const board = withTasks(emptyBoard(), [a]);
    const move = moveTask(board, a.id, "completed", 0)!;
    expect(rollback(move.board, move.previous).tasks[a.id]).toEqual(a);
    const newer = withTasks(move.board, [{ ...a, version: 2, title: "changed" }]);
    expect(rollback(newer, move.previous).tasks[a.id].title).toBe("changed");
  });

  it("computes positions at the ends and in an empty column", () => {
    expect(positionBetween()).toBe(1);
    expect(positionBetween(task({ position: 4 }))).toBe(5);
    expect(positionBetween(undefined, task({ position: 4 }))).toBe(3);
  });
});

describe("live events", () => {
  it("asks for a new task to be fetched when its column's end is loaded", () => {
    expect(applyEvent(emptyBoard(), event("task.created", { task_id: "x", status: "pending" })).fetch).toBe("x");
    const paged = withPage(emptyBoard(), "pending", { items: [task()], next_cursor: "c" });
    expect(applyEvent(paged, event("task.created", { task_id: "x", status: "pending" })).fetch).toBeUndefined();
  });

  it("applies the next version's changes in place", () => {
    const a = task();
    const out = applyEvent(withTasks(emptyBoard(), [a]), event("task.updated", { task_id: a.id, version: 2, changes: { status: "completed" } }));
    expect(out.fetch).toBeUndefined();
    expect(out.board.tasks[a.id]).toMatchObject({ status: "completed", version: 2 });
  });

  it("ignores an old version and refetches after a missed one", () => {
    const a = task({ version: 3 });
    const board = withTasks(emptyBoard(), [a]);
    expect(applyEvent(board, event("task.updated", { task_id: a.id, version: 3, changes: { title: "x" } })).board).toBe(board);
    expect(applyEvent(board, event("task.updated", { task_id: a.id, version: 5, changes: {} })).fetch).toBe(a.id);
  });

  it("removes a deleted task and counts comments and files", () => {
    const a = task();
    let board = withTasks(emptyBoard(), [a]);
    board = applyEvent(board, event("comment.created", { task_id: a.id })).board;
    board = applyEvent(board, event("file.uploaded", { task_id: a.id })).board;
    expect(board.tasks[a.id]).toMatchObject({ comment_count: 1, file_count: 1 });
    expect(applyEvent(board, event("task.deleted", { task_id: a.id })).board.tasks).toEqual({});
  });
});

describe("filters and sorting", () => {
  it("matches text, assignee, label, priority and overdue", () => {
    const now = Date.parse("2030-06-01T00:00:00Z");
    const a = task({ title: "Budget", assignee_id: "me", labels: ["Docs"], priority: "high", deadline: "2030-05-01T00:00:00Z" });
    expect(matches(a, NO_FILTERS, "me", now)).toBe(true);
    expect(matches(a, { ...NO_FILTERS, q: "budg" }, "me", now)).toBe(true);
    expect(matches(a, { ...NO_FILTERS, q: "launch" }, "me", now)).toBe(false);
    expect(matches(a, { ...NO_FILTERS, assignee: "me" }, "me", now)).toBe(true);
    expect(matches(a, { ...NO_FILTERS, assignee: "none" }, "me", now)).toBe(false);
    expect(matches(a, { ...NO_FILTERS, label: "docs" }, "me", now)).toBe(true);
    expect(matches(a, { ...NO_FILTERS, priority: "low" }, "me", now)).toBe(false);
    expect(matches(a, { ...NO_FILTERS, overdue: true }, "me", now)).toBe(true);
    expect(matches({ ...a, status: "completed" }, { ...NO_FILTERS, overdue: true }, "me", now)).toBe(false);
  });

  it("sorts by priority rank and puts tasks without a deadline last", () => {
    const low = task({ priority: "low", deadline: "2030-01-02T00:00:00Z" });
    const urgent = task({ priority: "urgent" });
    const none = task({ priority: "none", deadline: "2030-01-01T00:00:00Z" });
    expect(sortTasks([low, urgent, none], "priority").map((t) => t.priority)).toEqual(["none", "low", "urgent"]);
    expect(sortTasks([low, urgent, none], "priority", true)[0]).toBe(urgent);
    expect(sortTasks([urgent, low, none], "deadline")).toEqual([none, low, urgent]);
  });
});

describe("paged columns", () => {
  const counted = (board: Board): Board => ({ ...board, counts: { pending: 1000, in_progress: 5, completed: 0 } });

  it("shows a column's loaded prefix and hides what lies past its edge until its page comes", () => {
    const a = task({ position: 1 });
    const b = task({ position: 2 });
    let board = withPage(emptyBoard(), "pending", { items: [a, b], next_cursor: "c1" });
    expect(board.cursors.pending).toBe("c1");
    // Someone moved a task far down the column: it belongs to a later page.
    const far = task({ position: 500 });
    board = withTasks(board, [far]);
    expect(column(board, "pending").map((t) => t.id)).toEqual([a.id, b.id]);
    const c = task({ position: 3 });
    board = withPage(board, "pending", { items: [c, far], next_cursor: null });
    expect(column(board, "pending").map((t) => t.id)).toEqual([a.id, b.id, c.id, far.id]);
    expect(board.edges.pending).toBeNull();
  });

  it("counts from the API, moved by moves, rollbacks and live events", () => {
    const a = task({ position: 1 });
    let board = counted(withPage(emptyBoard(), "pending", { items: [a], next_cursor: "c" }));
    expect(columnCount(board, "pending")).toBe(1000);
    const move = moveTask(board, a.id, "in_progress", 0)!;
    expect(move.board.counts).toEqual({ pending: 999, in_progress: 6, completed: 0 });
    expect(rollback(move.board, move.previous).counts).toEqual(board.counts);
    // A task that is not loaded moves to completed; one is deleted; one is created.
    const moved = applyEvent(board, event("task.updated", { task_id: "far", version: 2, changes: { status: "completed" }, previous: { status: "pending" } }));
    expect(moved.board.counts).toEqual({ pending: 999, in_progress: 5, completed: 1 });
    expect(moved.fetch).toBe("far"); // the completed column is all loaded: show it there
    expect(applyEvent(board, event("task.deleted", { task_id: "far" })).recount).toBe(true);
    board = applyEvent(board, event("task.deleted", { task_id: a.id })).board;
    expect(board.counts!.pending).toBe(999);
    board = applyEvent(board, event("task.created", { task_id: "new", status: "in_progress" })).board;
    board = created(board, "new", "in_progress"); // the creator's reply after the event: once
    expect(board.counts!.in_progress).toBe(6);
  });

  it("a change of status arriving live for a loaded task moves its count once", () => {
    const a = task({ position: 1, version: 1 });
    let board = counted(withPage(emptyBoard(), "pending", { items: [a], next_cursor: null }));
    board = applyEvent(board, event("task.updated", { task_id: a.id, version: 2, changes: { status: "in_progress" }, previous: { status: "pending" } })).board;
    expect(board.counts).toEqual({ pending: 999, in_progress: 6, completed: 0 });
    board = withTasks(board, [{ ...a, status: "in_progress", version: 2 }]); // the same version again
    expect(board.counts).toEqual({ pending: 999, in_progress: 6, completed: 0 });
  });

  it("drops a task after the column's last task when the end is not loaded", () => {
    const a = task({ position: 1 });
    const board = withPage(emptyBoard(), "pending", { items: [a], next_cursor: "c" });
    const moving = task({ status: "completed", position: 7 });
    const last = task({ position: 90_000 });
    const move = moveTask(withTasks(board, [moving]), moving.id, "pending", 1, last)!;
    expect(move.patch).toEqual({ status: "pending", position: 90_001 });
    // Past the loaded edge: not shown until its page is loaded.
    expect(column(move.board, "pending").map((t) => t.id)).toEqual([a.id]);
    expect(moveTask(withTasks(board, [moving]), moving.id, "pending", 1, null)!.patch).toEqual({ status: "pending", position: 7 });
  });
});

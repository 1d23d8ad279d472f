import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import {
  type Board,
  type Filters,
  NO_FILTERS,
  type SortKey,
  applyEvent,
  column,
  emptyBoard,
  matches,
  moveTask,
  rollback,
  sortTasks,
  withTasks,
} from "../board";
import { RoomTabs } from "../components/Layout";
import { memberName, useRoom } from "../roomdata";
import { location$, navigate, queryParam } from "../router";
import { onRoomEvent, toast, user$ } from "../session";
import { Store, useStore } from "../store";
import type { Member, Page, Status, Task } from "../types";
import { PRIORITIES, ROLE_RANK, STATUSES, STATUS_LABEL } from "../types";
import { errorText, isOverdue, newKey, shortDate } from "../util";

const PAGE = 100;

function apiFilters(f: Filters) {
  return {
    q: f.q || undefined,
    assignee: f.assignee || undefined,
    label: f.label || undefined,
    priority: f.priority || undefined,
    overdue: f.overdue ? "true" : undefined,
  };
}

export function BoardPage({ roomId }: { roomId: string }) {
  const { room, members, error } = useRoom(roomId);
  const me = useStore(user$);
  const path = useStore(location$);
  const view = queryParam(path, "view") === "list" ? "list" : "board";
  const store = useRef(new Store<Board>(emptyBoard())).current;
  const board = useStore(store);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [loading, setLoading] = useState(true);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const search = useRef<HTMLInputElement>(null);

  async function loadColumn(status: Status, cursor: string | null = null) {
    const page = await api.get<Page<Task>>(`/rooms/${roomId}/tasks`, {
      ...apiFilters(filtersRef.current),
      status,
      sort: "position",
      limit: PAGE,
      cursor,
    });
    store.set((b) => ({ ...withTasks(b, page.items), cursors: { ...b.cursors, [status]: page.next_cursor } }));
  }

  async function loadAll() {
    setLoading(true);
    store.set(emptyBoard());
    try {
      await Promise.all(STATUSES.map((s) => loadColumn(s)));
    } catch (e) {
      toast(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    const timer = setTimeout(() => void loadAll(), filters.q ? 250 : 0);
    return () => clearTimeout(timer);
  }, [roomId, filters]);

  useEffect(
    () =>
      onRoomEvent((id, event) => {
        if (id !== roomId) return;
        if (!event) return void loadAll();
        const outcome = applyEvent(store.get(), event);
        store.set(outcome.board);
        if (outcome.fetch) void fetchTask(outcome.fetch);
      }),
    [roomId],
  );

  async function fetchTask(id: string) {
    try {
      const task = await api.get<Task>(`/tasks/${id}`);
      if (matches(task, filtersRef.current, user$.get()?.id ?? null)) store.set((b) => withTasks(b, [task]));
    } catch {
      // deleted meanwhile: its task.deleted event removes it
    }
  }

  async function move(id: string, status: Status, index: number) {
    const planned = moveTask(store.get(), id, status, index);
    if (!planned) return;
    store.set(planned.board);
    try {
      const { data } = await api.request<Task>("PATCH", `/tasks/${id}`, {
        body: planned.patch,
        ifMatch: `"${planned.previous.version}"`,
      });
      store.set((b) => withTasks(b, [data]));
    } catch (e) {
      store.set((b) => rollback(b, planned.previous));
      if (e instanceof ApiError && e.status === 412) {
        toast("Someone changed this task meanwhile: the board shows their version now.", "info");
        void fetchTask(id);
      } else toast(errorText(e));
    }
  }

  // Keyboard shortcuts: "/" search; "n" quick add.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (e.key === "/") {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === "n") {
        e.preventDefault();
        document.querySelector<HTMLInputElement>(".quick-add input")?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (error) return <main class="page"><p class="error" role="alert">{error}</p></main>;
  const canWrite = !!room && ROLE_RANK[room.my_role] >= ROLE_RANK.member;
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const labels = [...new Set(Object.values(board.tasks).flatMap((t) => t.labels))].sort();

  return (
    <main class="page wide">
      <header class="page-head">
        <h1>{room?.name ?? "…"}</h1>
        <RoomTabs roomId={roomId} current="board" role={room?.my_role} />
      </header>
      <div class="toolbar" role="search">
        <label class="grow">
          <span class="sr-only">Search tasks</span>
          <input ref={search} type="search" placeholder="Search tasks  ( / )" value={filters.q} onInput={(e) => set({ q: e.currentTarget.value })} />
        </label>
        <label>
          <span class="sr-only">Assignee</span>
          <select value={filters.assignee} onChange={(e) => set({ assignee: e.currentTarget.value })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="none">Unassigned</option>
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.username}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="sr-only">Priority</span>
          <select value={filters.priority} onChange={(e) => set({ priority: e.currentTarget.value as Filters["priority"] })}>
            <option value="">Any priority</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="sr-only">Label</span>
          <input list="labels" placeholder="Label" value={filters.label} size={8} onChange={(e) => set({ label: e.currentTarget.value.trim() })} />
          <datalist id="labels">
            {labels.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </label>
        <label class="check">
          <input type="checkbox" checked={filters.overdue} onChange={(e) => set({ overdue: e.currentTarget.checked })} /> Overdue
        </label>
        <div class="segmented" role="group" aria-label="View">
          <a href={`/rooms/${roomId}`} aria-current={view === "board" ? "page" : undefined}>
            Board
          </a>
          <a href={`/rooms/${roomId}?view=list`} aria-current={view === "list" ? "page" : undefined}>
            List
          </a>
        </div>
      </div>
      {view === "board" ? (
        <div class="columns" aria-busy={loading}>
          {STATUSES.map((status) => (
            <Column
              key={status}
              status={status}
              tasks={column(board, status)}
              more={board.cursors[status] !== null}
              members={members}
              canWrite={canWrite}
              roomId={roomId}
              onMove={move}
              onMore={() => void loadColumn(status, board.cursors[status]).catch((e) => toast(errorText(e)))}
              onCreated={(task) => store.set((b) => withTasks(b, [task]))}
            />
          ))}
        </div>
      ) : (
        <ListView tasks={Object.values(board.tasks)} members={members} />
      )}
      {me && !loading && Object.keys(board.tasks).length === 0 && filters === NO_FILTERS && canWrite && (
        <p class="empty">No tasks yet. Add the first one with “Add a task” (or press n).</p>
      )}
    </main>
  );
}

interface ColumnProps {
  status: Status;
  tasks: Task[];
  more: boolean;
  members: Member[];
  canWrite: boolean;
  roomId: string;
  onMove: (id: string, status: Status, index: number) => void;
  onMore: () => void;
  onCreated: (task: Task) => void;
}

function Column({ status, tasks, more, members, canWrite, roomId, onMove, onMore, onCreated }: ColumnProps) {
  const [over, setOver] = useState<number | null>(null);
  const list = useRef<HTMLOListElement>(null);

  function dropIndex(event: DragEvent): number {
    const cards = [...(list.current?.querySelectorAll<HTMLElement>(".task-card:not(.dragging)") ?? [])];
    const index = cards.findIndex((card) => {
      const box = card.getBoundingClientRect();
      return event.clientY < box.top + box.height / 2;
    });
    return index === -1 ? cards.length : index;
  }

  return (
    <section
      class={`column col-${status}${over !== null ? " drop-target" : ""}`}
      aria-labelledby={`col-${status}`}
      data-status={status}
      onDragOver={(e) => {
        if (!canWrite) return;
        e.preventDefault();
        e.dataTransfer!.dropEffect = "move";
        setOver(dropIndex(e));
      }}
      onDragLeave={(e) => {
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(null);
      }}
      onDrop={(e) => {
        e.preventDefault();
        const id = e.dataTransfer?.getData("text/x-task");
        const index = dropIndex(e);
        setOver(null);
        if (id) onMove(id, status, index);
      }}
    >
      <h2 id={`col-${status}`} class="column-head">
        {STATUS_LABEL[status]}{" "}
        <span class="count" data-testid={`count-${status}`} aria-label={`${tasks.length}${more ? " or more" : ""} tasks`}>
          {tasks.length}
          {more ? "+" : ""}
        </span>
      </h2>
      {canWrite && <QuickAdd roomId={roomId} status={status} onCreated={onCreated} />}
      <ol class="cards" ref={list}>
        {tasks.map((task, index) => (
          <TaskCard
            key={task.id}
            task={task}
            members={members}
            canWrite={canWrite}
            onKeyMove={(dStatus, dIndex) => {
              const s = STATUSES[STATUSES.indexOf(status) + dStatus];
              if (!s) return;
              onMove(task.id, s, dStatus ? 0 : index + dIndex);
            }}
          />
        ))}
      </ol>
      {more && (
        <button type="button" class="link more" onClick={onMore}>
          Load more
        </button>
      )}
    </section>
  );
}

function QuickAdd({ roomId, status, onCreated }: { roomId: string; status: Status; onCreated: (t: Task) => void }) {
  const [title, setTitle] = useState("");
  return (
    <form
      class="quick-add"
      onSubmit={async (e) => {
        e.preventDefault();
        const text = title.trim();
        if (!text) return;
        try {
          const { data } = await api.request<Task>("POST", `/rooms/${roomId}/tasks`, {
            body: { title: text, status },
            idempotencyKey: newKey(),
          });
          setTitle("");
          onCreated(data);
        } catch (err) {
          toast(errorText(err));
        }
      }}
    >
      <label>
        <span class="sr-only">Add a task to {STATUS_LABEL[status]}</span>
        <input placeholder="+ Add a task" maxLength={255} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
    </form>
  );
}

function TaskCard({
  task,
  members,
  canWrite,
  onKeyMove,
}: {
  task: Task;
  members: Member[];
  canWrite: boolean;
  onKeyMove: (dStatus: number, dIndex: number) => void;
}) {
  const [dragging, setDragging] = useState(false);
  const assignee = memberName(members, task.assignee_id);
  return (
    <li
      class={`task-card card prio-${task.priority}${dragging ? " dragging" : ""}`}
      draggable={canWrite}
      data-task={task.id}
      data-testid="task-card"
      onDragStart={(e) => {
        e.dataTransfer!.setData("text/x-task", task.id);
        e.dataTransfer!.effectAllowed = "move";
        setDragging(true);
      }}
      onDragEnd={() => setDragging(false)}
      onKeyDown={(e) => {
        if (!canWrite || !e.altKey) return;
        const moves: Record<string, [number, number]> = {
          ArrowLeft: [-1, 0],
          ArrowRight: [1, 0],
          ArrowUp: [0, -1],
          ArrowDown: [0, 1],
        };
        const found = moves[e.key];
        if (found) {
          e.preventDefault();
          onKeyMove(...found);
        }
      }}
    >
      <a href={`/tasks/${task.id}`} class="task-title" aria-keyshortcuts={canWrite ? "Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown" : undefined}>
        <span class="num">#{task.number}</span> {task.title}
      </a>
      <div class="meta">
        {task.priority !== "none" && <span class={`badge prio prio-${task.priority}`}>{task.priority}</span>}
        {task.labels.map((l) => (
          <span key={l} class="badge label">
            {l}
          </span>
        ))}
        {task.deadline && (
          <span class={`due${isOverdue(task.deadline, task.status) ? " overdue" : ""}`} title="Deadline">
            {shortDate(task.deadline)}
          </span>
        )}
        {(task.comment_count ?? 0) > 0 && (
          <span class="muted small">
            {task.comment_count} {task.comment_count === 1 ? "comment" : "comments"}
          </span>
        )}
        {(task.file_count ?? 0) > 0 && (
          <span class="muted small">
            {task.file_count} {task.file_count === 1 ? "file" : "files"}
          </span>
        )}
        {assignee && (
          <span class="avatar small" title={`Assigned to ${assignee}`}>
            {assignee.slice(0, 1).toUpperCase()}
          </span>
        )}
      </div>
    </li>
  );
}

const COLUMNS: [SortKey, string][] = [
  ["number", "#"],
  ["title", "Title"],
  ["status", "Status"],
  ["priority", "Priority"],
  ["deadline", "Deadline"],
];

function ListView({ tasks, members }: { tasks: Task[]; members: Member[] }) {
  const [sort, setSort] = useState<[SortKey, boolean]>(["number", false]);
  const rows = sortTasks(tasks, sort[0], sort[1]);
  return (
    <div class="table-wrap">
      <table class="task-table">
        <thead>
          <tr>
            {COLUMNS.map(([key, label]) => (
              <th key={key} aria-sort={sort[0] === key ? (sort[1] ? "descending" : "ascending") : "none"}>
                <button type="button" class="link" onClick={() => setSort(([k, d]) => [key, k === key ? !d : false])}>
                  {label} {sort[0] === key ? (sort[1] ? "▼" : "▲") : ""}
                </button>
              </th>
            ))}
            <th>Assignee</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id} onClick={() => navigate(`/tasks/${t.id}`)}>
              <td class="num">#{t.number}</td>
              <td>
                <a href={`/tasks/${t.id}`}>{t.title}</a>
              </td>
              <td>{STATUS_LABEL[t.status]}</td>
              <td>{t.priority}</td>
              <td class={isOverdue(t.deadline, t.status) ? "overdue" : ""}>{shortDate(t.deadline)}</td>
              <td>{memberName(members, t.assignee_id)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="empty">No tasks match.</p>}
    </div>
  );
}

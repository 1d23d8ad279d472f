import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import {
  type Board,
  type Counts,
  type Filters,
  NO_FILTERS,
  applyEvent,
  column,
  columnCount,
  created,
  emptyBoard,
  matches,
  moveTask,
  rollback,
  withPage,
  withTasks,
} from "../board";
import { Column } from "../components/BoardColumn";
import { RoomTabs } from "../components/Layout";
import { TaskList } from "../components/TaskList";
import { useRoom } from "../roomdata";
import { location$, queryParam } from "../router";
import { onRoomEvent, toast, user$ } from "../session";
import { Store, useStore } from "../store";
import type { Page, Status, Task } from "../types";
import { PRIORITIES, ROLE_RANK, STATUSES, STATUS_LABEL } from "../types";
import { errorText } from "../util";

// A column's first page is small (the board paints at once); the next ones are bigger.
const FIRST_PAGE = 50;
const PAGE = 100;
const RECOUNT_MS = 500;

function filtering(f: Filters): boolean {
  return Object.values(apiFilters(f)).some((v) => v !== undefined);
}

function apiFilters(f: Filters): Record<string, string | undefined> {
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
  // The filters as the API gets them: a search waits for a pause in typing.
  const [query, setQuery] = useState(() => apiFilters(NO_FILTERS));
  const [loading, setLoading] = useState(true);
  const [focusId, setFocusId] = useState<string | null>(null);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const queryRef = useRef(query);
  queryRef.current = query;
  // Pages in flight per column, and the board's generation: a page of older filters is dropped.
  const inFlight = useRef(new Set<Status>());
  const generation = useRef(0);
  const recountTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const search = useRef<HTMLInputElement>(null);

  async function loadColumn(status: Status, first = false) {
    const cursor = store.get().cursors[status];
    if (inFlight.current.has(status) || (!first && cursor === null)) return;
    const mine = generation.current;
    inFlight.current.add(status);
    try {
      const page = await api.get<Page<Task>>(`/rooms/${roomId}/tasks`, {
        ...queryRef.current,
        status,
        sort: "position",
        limit: first ? FIRST_PAGE : PAGE,
        cursor,
      });
      if (mine === generation.current) store.set((b) => withPage(b, status, page));
    } finally {
      if (mine === generation.current) inFlight.current.delete(status);
    }
  }

  async function loadCounts() {
    const mine = generation.current;
    const counts = await api.get<Counts>(`/rooms/${roomId}/tasks/counts`, queryRef.current);
    if (mine === generation.current) store.set((b) => ({ ...b, counts, born: {} }));
  }

  /** Counts again soon: at most once per RECOUNT_MS however many events ask (a throttle, so
   * that a steady stream of events still gets its counts). */
  function recount() {
    if (recountTimer.current !== undefined) return;
    recountTimer.current = setTimeout(() => {
      recountTimer.current = undefined;
      void loadCounts().catch(() => undefined);
    }, RECOUNT_MS);
  }

  async function loadAll() {
    generation.current += 1;
    inFlight.current.clear();
    setLoading(true);
    store.set(emptyBoard());
    try {
      await Promise.all([loadCounts(), ...STATUSES.map((s) => loadColumn(s, true))]);
    } catch (e) {
      toast(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    const next = apiFilters(filters);
    const same = (q: typeof next) => JSON.stringify(q) === JSON.stringify(next);
    const timer = setTimeout(() => setQuery((q) => (same(q) ? q : next)), filters.q ? 250 : 0);
    return () => clearTimeout(timer);
  }, [filters]);

  useEffect(() => {
    if (view === "board") void loadAll();
  }, [roomId, query, view]);

  useEffect(
    () =>
      onRoomEvent((id, event) => {
        if (id !== roomId || view !== "board") return;
        if (!event) return void loadAll();
        const outcome = applyEvent(store.get(), event);
        store.set(outcome.board);
        if (outcome.fetch) void fetchTask(outcome.fetch);
        // Under filters an event may take a task in or out of them: the API counts again.
        if (outcome.recount || (event.type.startsWith("task.") && filtering(filtersRef.current))) recount();
      }),
    [roomId, view],
  );

  async function fetchTask(id: string) {
    try {
      const task = await api.get<Task>(`/tasks/${id}`);
      if (matches(task, filtersRef.current, user$.get()?.id ?? null)) store.set((b) => withTasks(b, [task]));
    } catch {
      // deleted meanwhile: its task.deleted event removes it
    }
  }

  async function move(id: string, status: Status, index: number, toEnd: boolean) {
    let last: Task | null | undefined;
    try {
      if (toEnd) {
        // The column's end is not loaded: ask the API which task is last.
        const page = await api.get<Page<Task>>(`/rooms/${roomId}/tasks`, { status, sort: "-position", limit: 1 });
        last = page.items[0] ?? null;
      }
    } catch (e) {
      return toast(errorText(e));
    }
    const planned = moveTask(store.get(), id, status, index, last);
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

  const columns = useMemo(
    () => Object.fromEntries(STATUSES.map((s) => [s, column(board, s)])) as Record<Status, Task[]>,
    [board.tasks, board.edges],
  );

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
              tasks={columns[status]}
              count={columnCount(board, status)}
              more={board.cursors[status] !== null}
              members={members}
              canWrite={canWrite}
              roomId={roomId}
              onMove={(id, s, index, toEnd) => void move(id, s, index, toEnd)}
              onMore={() => void loadColumn(status).catch((e) => toast(errorText(e)))}
              onCreated={(task) => {
                store.set((b) => withTasks(created(b, task.id, task.status), [task]));
                // A new task goes to the column's end: say so when that end is not loaded yet.
                if (store.get().cursors[task.status] !== null)
                  toast(`#${task.number} was added at the end of ${STATUS_LABEL[task.status]}.`, "info");
              }}
              focusId={focusId}
              onFocus={setFocusId}
            />
          ))}
        </div>
      ) : (
        <TaskList roomId={roomId} filters={filters} query={query} members={members} />
      )}
      {me && view === "board" && !loading && Object.keys(board.tasks).length === 0 && !filtering(filters) && canWrite && (
        <p class="empty">No tasks yet. Add the first one with “Add a task” (or press n).</p>
      )}
    </main>
  );
}

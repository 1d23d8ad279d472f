// The list view: the room's tasks in one sorted table, loaded page by page in the API's order
// (its sort keys) and windowed like the board's columns. Live events change the loaded rows in
// place; a new task is fetched only once every row is loaded (before, its page brings it).

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { type Board, type Filters, applyEvent, emptyBoard, matches, sortTasks, withTasks } from "../board";
import { memberName } from "../roomdata";
import { navigate } from "../router";
import { onRoomEvent, toast, user$ } from "../session";
import { Store, useStore } from "../store";
import type { Member, Page, Task } from "../types";
import { STATUS_LABEL } from "../types";
import { errorText, isOverdue, shortDate } from "../util";
import { useNearEnd, useWindow } from "../window";

/** A table row's height in px (styles.css: .task-table tbody tr). */
export const LIST_ROW = 41;
const PAGE = 100;

type ListSort = "number" | "priority" | "deadline";
const SORTABLE: [ListSort | null, string][] = [
  ["number", "#"],
  [null, "Title"],
  [null, "Status"],
  ["priority", "Priority"],
  ["deadline", "Deadline"],
];

/** The list's loaded rows as a board whose every column shares the list's cursor. */
function withListPage(board: Board, page: Page<Task>): Board {
  const cursor = page.next_cursor;
  return { ...withTasks(board, page.items), cursors: { pending: cursor, in_progress: cursor, completed: cursor } };
}

export function TaskList({ roomId, filters, query, members }: { roomId: string; filters: Filters; query: Record<string, string | undefined>; members: Member[] }) {
  const [sort, setSort] = useState<[ListSort, boolean]>(["number", false]);
  const store = useRef(new Store<Board>(emptyBoard())).current;
  const board = useStore(store);
  const loading = useRef(false);
  const generation = useRef(0);
  const wrap = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => sortTasks(Object.values(board.tasks), sort[0], sort[1]), [board.tasks, sort]);
  const more = board.cursors.pending !== null;
  const span = useWindow(wrap, rows.length, LIST_ROW);

  async function load(first: boolean) {
    if (loading.current && !first) return;
    loading.current = true;
    const mine = first ? ++generation.current : generation.current;
    try {
      const cursor = first ? null : store.get().cursors.pending;
      const page = await api.get<Page<Task>>(`/rooms/${roomId}/tasks`, {
        ...query,
        sort: `${sort[1] ? "-" : ""}${sort[0]}`,
        limit: PAGE,
        cursor,
      });
      if (mine !== generation.current) return;
      store.set((b) => withListPage(first ? emptyBoard() : b, page));
    } catch (e) {
      toast(errorText(e));
    } finally {
      if (mine === generation.current) loading.current = false;
    }
  }

  useEffect(() => {
    if (wrap.current) wrap.current.scrollTop = 0;
    void load(true);
  }, [roomId, query, sort]);
  useNearEnd(wrap, rows.length, LIST_ROW, more, () => void load(false));

  useEffect(
    () =>
      onRoomEvent((id, event) => {
        if (id !== roomId) return;
        if (!event) return void load(true);
        const outcome = applyEvent(store.get(), event);
        store.set(outcome.board);
        const fetch = outcome.fetch;
        if (fetch)
          void api
            .get<Task>(`/tasks/${fetch}`)
            .then((task) => matches(task, filters, user$.get()?.id ?? null) && store.set((b) => withTasks(b, [task])))
            .catch(() => undefined); // deleted meanwhile
      }),
    [roomId, filters],
  );

  return (
    <div class="table-wrap" ref={wrap} data-loaded={rows.length}>
      <table class="task-table">
        <thead>
          <tr>
            {SORTABLE.map(([key, label]) => (
              <th key={label} aria-sort={key && sort[0] === key ? (sort[1] ? "descending" : "ascending") : undefined}>
                {key ? (
                  <button type="button" class="link" onClick={() => setSort(([k, d]) => [key, k === key ? !d : false])}>
                    {label} {sort[0] === key ? (sort[1] ? "▼" : "▲") : ""}
                  </button>
                ) : (
                  label
                )}
              </th>
            ))}
            <th>Assignee</th>
          </tr>
        </thead>
        <tbody>
          {span.top > 0 && <tr class="spacer" aria-hidden="true" style={{ height: `${span.top}px` }} />}
          {rows.slice(span.start, span.end).map((t) => (
            <tr key={t.id} data-testid="task-row" onClick={() => navigate(`/tasks/${t.id}`)}>
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
          {span.bottom > 0 && <tr class="spacer" aria-hidden="true" style={{ height: `${span.bottom}px` }} />}
        </tbody>
      </table>
      {rows.length === 0 && !more && <p class="empty">No tasks match.</p>}
    </div>
  );
}

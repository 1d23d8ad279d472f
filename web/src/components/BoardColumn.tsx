// A board column: its count, quick add, and its loaded tasks in a windowed list (only the
// cards in view are in the page; the next page loads as the list nears its end). Drops and
// keyboard moves work on indexes of the whole loaded column, not of the rendered cards.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { memberName } from "../roomdata";
import { toast } from "../session";
import type { Member, Status, Task } from "../types";
import { STATUSES, STATUS_LABEL } from "../types";
import { errorText, isOverdue, newKey, shortDate } from "../util";
import { indexAt, scrollToShow, useNearEnd, useWindow } from "../window";

/** A card's height plus the gap below it, in px (styles.css: .cards > .task-card). */
export const CARD_ROW = 96;

export interface ColumnProps {
  status: Status;
  tasks: Task[];
  count: number;
  more: boolean;
  members: Member[];
  canWrite: boolean;
  roomId: string;
  /** Move a task to `index` among the others of `status`; `toEnd`: after the column's last task. */
  onMove: (id: string, status: Status, index: number, toEnd: boolean) => void;
  onMore: () => void;
  onCreated: (task: Task) => void;
  /** A task to show and focus (after a keyboard move or step). */
  focusId: string | null;
  onFocus: (id: string | null) => void;
}

export function Column(props: ColumnProps) {
  const { status, tasks, count, more, members, canWrite, roomId, onMove, onMore, onCreated, focusId, onFocus } = props;
  const [over, setOver] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const span = useWindow(list, tasks.length, CARD_ROW);
  useNearEnd(list, tasks.length, CARD_ROW, more, onMore);

  useEffect(() => {
    const element = list.current;
    const index = focusId ? tasks.findIndex((t) => t.id === focusId) : -1;
    if (!element || index === -1) return;
    element.scrollTop = scrollToShow(index, CARD_ROW, element.scrollTop, element.clientHeight);
    let tries = 0;
    const focus = () => {
      const link = element.querySelector<HTMLElement>(`[data-task="${focusId}"] a`);
      if (link) {
        link.focus();
        onFocus(null);
      } else if (tries++ < 10) requestAnimationFrame(focus); // the window renders it after the scroll
    };
    focus();
  }, [focusId, tasks]);

  /** Where a drop lands: [index among the other tasks, whether after the column's last task].
   * Above the cards is the column's start; below them (its foot) is the column's end, loaded or not. */
  function drop(event: DragEvent, id: string): [number, boolean] {
    const element = list.current!;
    const box = element.getBoundingClientRect();
    const own = tasks.findIndex((t) => t.id === id);
    if (event.clientY >= box.bottom) return [tasks.length, more];
    let index = indexAt(event.clientY - box.top + element.scrollTop, CARD_ROW, tasks.length);
    if (own !== -1 && own < index) index -= 1;
    return [index, index >= tasks.length - (own === -1 ? 0 : 1) && more];
  }

  return (
    <section
      class={`column col-${status}${over ? " drop-target" : ""}`}
      aria-labelledby={`col-${status}`}
      data-status={status}
      onDragOver={(e) => {
        if (!canWrite) return;
        e.preventDefault();
        e.dataTransfer!.dropEffect = "move";
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const id = e.dataTransfer?.getData("text/x-task");
        if (!id) return;
        const [index, toEnd] = drop(e, id);
        onMove(id, status, index, toEnd);
      }}
    >
      <h2 id={`col-${status}`} class="column-head">
        {STATUS_LABEL[status]}{" "}
        <span class="count" data-testid={`count-${status}`} aria-label={`${count} tasks`}>
          {count}
        </span>
      </h2>
      {canWrite && <QuickAdd roomId={roomId} status={status} onCreated={onCreated} />}
      <ol class="cards" ref={list} data-loaded={tasks.length}>
        {span.top > 0 && <li class="spacer" aria-hidden="true" style={{ height: `${span.top}px` }} />}
        {tasks.slice(span.start, span.end).map((task, i) => {
          const index = span.start + i;
          return (
            <TaskCard
              key={task.id}
              task={task}
              index={index}
              count={count}
              members={members}
              canWrite={canWrite}
              onStep={(d) => {
                const next = tasks[index + d];
                if (!next) return void (d > 0 && more && onMore());
                // Rendered (the overscan keeps neighbours in the page): focus it now, so fast
                // key presses never step from a stale card; otherwise once the window has it.
                const link = list.current?.querySelector<HTMLElement>(`[data-task="${next.id}"] a`);
                if (link) link.focus();
                else onFocus(next.id);
              }}
              onKeyMove={(dStatus, dIndex) => {
                const s = STATUSES[STATUSES.indexOf(status) + dStatus];
                if (!s) return;
                onMove(task.id, s, dStatus ? 0 : index + dIndex, false);
                onFocus(task.id); // the focus follows the card, wherever it lands in view
              }}
            />
          );
        })}
        {span.bottom > 0 && <li class="spacer" aria-hidden="true" style={{ height: `${span.bottom}px` }} />}
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

const MOVES: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

function TaskCard(props: {
  task: Task;
  index: number;
  count: number;
  members: Member[];
  canWrite: boolean;
  onStep: (d: number) => void;
  onKeyMove: (dStatus: number, dIndex: number) => void;
}) {
  const { task, index, count, members, canWrite, onStep, onKeyMove } = props;
  const [dragging, setDragging] = useState(false);
  const assignee = memberName(members, task.assignee_id);
  return (
    <li
      class={`task-card card prio-${task.priority}${dragging ? " dragging" : ""}`}
      draggable={canWrite}
      data-task={task.id}
      data-testid="task-card"
      aria-posinset={index + 1}
      aria-setsize={count}
      onDragStart={(e) => {
        e.dataTransfer!.setData("text/x-task", task.id);
        e.dataTransfer!.effectAllowed = "move";
        setDragging(true);
      }}
      onDragEnd={() => setDragging(false)}
      onKeyDown={(e) => {
        const found = MOVES[e.key];
        if (!found) return;
        if (e.altKey && canWrite) {
          e.preventDefault();
          onKeyMove(...found);
        } else if (!e.altKey && found[1] !== 0) {
          e.preventDefault();
          onStep(found[1]);
        }
      }}
    >
      <a
        href={`/tasks/${task.id}`}
        class="task-title"
        aria-keyshortcuts={canWrite ? "ArrowUp ArrowDown Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown" : "ArrowUp ArrowDown"}
      >
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

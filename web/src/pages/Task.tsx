import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { Comments } from "../components/Comments";
import { Files } from "../components/Files";
import { Watchers } from "../components/Watchers";
import { Markdown } from "../markdown";
import { memberName, useRoom } from "../roomdata";
import { navigate } from "../router";
import { onRoomEvent, toast } from "../session";
import type { ActivityEntry, Member, Page, Task } from "../types";
import { PRIORITIES, ROLE_RANK, STATUSES, STATUS_LABEL } from "../types";
import { dateTime, errorText, fromLocalInput, toLocalInput } from "../util";

export function TaskPage({ taskId }: { taskId: string }) {
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState("");
  const [activity, setActivity] = useState<ActivityEntry[]>([]);
  const [changes, setChanges] = useState(0); // bumps on every event of this task

  async function load() {
    try {
      setTask(await api.get<Task>(`/tasks/${taskId}`));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? "This task does not exist (any more)." : errorText(e));
    }
  }

  async function loadActivity() {
    try {
      setActivity((await api.get<Page<ActivityEntry>>(`/tasks/${taskId}/activity`, { limit: 50 })).items);
    } catch {
      // the history is a nicety: the task itself is shown without it
    }
  }

  useEffect(() => {
    void load();
    void loadActivity();
    return onRoomEvent((_room, event) => {
      if (event && event.data.task_id !== taskId) return;
      if (event?.type === "task.deleted") {
        setTask(null);
        setError("This task was deleted.");
        return;
      }
      if (!event || event.type === "task.updated") void load();
      setChanges((n) => n + 1);
      void loadActivity();
    });
  }, [taskId]);

  if (error) return <main class="page"><p class="error" role="alert">{error}</p><a href="/rooms">Back to your rooms</a></main>;
  if (!task) return <main class="page"><p class="muted">Loading…</p></main>;
  return <TaskView task={task} setTask={setTask} reload={load} activity={activity} changes={changes} />;
}

function TaskView({
  task,
  setTask,
  reload,
  activity,
  changes,
}: {
  task: Task;
  setTask: (t: Task) => void;
  reload: () => Promise<void>;
  activity: ActivityEntry[];
  changes: number;
}) {
  const { room, members } = useRoom(task.room_id);
  const canWrite = !!room && ROLE_RANK[room.my_role] >= ROLE_RANK.member;

  async function save(patch: Partial<Task>) {
    try {
      const { data } = await api.request<Task>("PATCH", `/tasks/${task.id}`, { body: patch, ifMatch: `"${task.version}"` });
      setTask(data);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        toast("Someone changed this task meanwhile: here is their version. Make your change again.", "info");
        await reload();
      } else toast(errorText(e));
      return false;
    }
  }

  async function remove() {
    if (!confirm(`Delete #${task.number} ${task.title}?`)) return;
    try {
      await api.request("DELETE", `/tasks/${task.id}`, { ifMatch: `"${task.version}"` });
      navigate(`/rooms/${task.room_id}`);
    } catch (e) {
      toast(errorText(e));
    }
  }

  return (
    <main class="page task-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/rooms">Rooms</a> › <a href={`/rooms/${task.room_id}`}>{room?.name ?? "Board"}</a> › <span>#{task.number}</span>
      </nav>
      <div class="task-grid">
        <article class="task-main">
          <TitleField task={task} canWrite={canWrite} save={save} />
          <Description task={task} canWrite={canWrite} save={save} />
          <Files task={task} canWrite={canWrite} members={members} changes={changes} />
          <Comments task={task} canWrite={canWrite} members={members} changes={changes} room={room} />
        </article>
        <aside class="task-side card" aria-label="Details">
          <Fields task={task} members={members} canWrite={canWrite} save={save} />
          <Watchers taskId={task.id} changes={changes} />
          <p class="muted small">
            Created {dateTime(task.created_at)} by {memberName(members, task.created_by) || "someone"}
            <br />
            Updated {dateTime(task.updated_at)} · version {task.version}
          </p>
          {canWrite && (
            <button type="button" class="danger" onClick={() => void remove()}>
              Delete task
            </button>
          )}
          <section aria-labelledby="history-title" class="history">
            <h2 id="history-title">History</h2>
            <ol class="activity">
              {activity.map((a) => (
                <li key={a.id}>
                  <span>{a.summary}</span>
                  <span class="muted small"> {dateTime(a.occurred_at ?? a.created_at)}</span>
                </li>
              ))}
            </ol>
          </section>
        </aside>
      </div>
    </main>
  );
}

type Save = (patch: Partial<Task>) => Promise<boolean>;

function TitleField({ task, canWrite, save }: { task: Task; canWrite: boolean; save: Save }) {
  const [value, setValue] = useState(task.title);
  useEffect(() => setValue(task.title), [task.title]);
  if (!canWrite) return <h1 class="task-title-text">#{task.number} {task.title}</h1>;
  return (
    <h1 class="task-title-text">
      <span class="num">#{task.number}</span>
      <label class="grow">
        <span class="sr-only">Title</span>
        <input
          class="title-input"
          name="title"
          value={value}
          maxLength={255}
          onInput={(e) => setValue(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && e.currentTarget.blur()}
          onBlur={() => value.trim() && value.trim() !== task.title && void save({ title: value.trim() })}
        />
      </label>
    </h1>
  );
}

function Description({ task, canWrite, save }: { task: Task; canWrite: boolean; save: Save }) {
  const [editing, setEditing] = useState(false);
  const [preview, setPreview] = useState(false);
  const [text, setText] = useState(task.description);
  useEffect(() => {
    if (!editing) setText(task.description);
  }, [task.description, editing]);

  if (!editing)
    return (
      <section class="description" aria-label="Description">
        {task.description ? <Markdown source={task.description} /> : <p class="muted">No description.</p>}
        {canWrite && (
          <button type="button" class="link" onClick={() => setEditing(true)}>
            Edit description
          </button>
        )}
      </section>
    );
  return (
    <section class="description editing" aria-label="Description">
      <div class="segmented" role="tablist">
        <button type="button" role="tab" aria-selected={!preview} onClick={() => setPreview(false)}>
          Write
        </button>
        <button type="button" role="tab" aria-selected={preview} onClick={() => setPreview(true)}>
          Preview
        </button>
      </div>
      {preview ? (
        <div class="preview card">{text ? <Markdown source={text} /> : <p class="muted">Nothing to preview.</p>}</div>
      ) : (
        <label>
          <span class="sr-only">Description (Markdown)</span>
          <textarea rows={8} maxLength={20000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
      )}
      <div class="row">
        <button
          type="button"
          class="primary"
          onClick={async () => {
            if (await save({ description: text })) setEditing(false);
          }}
        >
          Save
        </button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
        <span class="muted small">Markdown: **bold**, _italic_, `code`, - lists, [links](https://…)</span>
      </div>
    </section>
  );
}

function Fields({ task, members, canWrite, save }: { task: Task; members: Member[]; canWrite: boolean; save: Save }) {
  const [labels, setLabels] = useState(task.labels.join(", "));
  const deadlineRef = useRef<HTMLInputElement>(null);
  useEffect(() => setLabels(task.labels.join(", ")), [task.labels.join(",")]);
  const disabled = !canWrite;
  return (
    <div class="fields">
      <label>
        Status
        <select name="status" disabled={disabled} value={task.status} onChange={(e) => void save({ status: e.currentTarget.value as Task["status"] })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <select name="priority" disabled={disabled} value={task.priority} onChange={(e) => void save({ priority: e.currentTarget.value as Task["priority"] })}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label>
        Assignee
        <select
          name="assignee"
          disabled={disabled}
          value={task.assignee_id ?? ""}
          onChange={(e) => void save({ assignee_id: e.currentTarget.value || null })}
        >
          <option value="">Nobody</option>
          {members.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.username}
            </option>
          ))}
        </select>
      </label>
      <label>
        Deadline
        <input
          ref={deadlineRef}
          name="deadline"
          type="datetime-local"
          disabled={disabled}
          value={toLocalInput(task.deadline)}
          onChange={(e) => void save({ deadline: fromLocalInput(e.currentTarget.value) })}
        />
      </label>
      <label>
        Labels <span class="hint">(comma-separated)</span>
        <input
          name="labels"
          disabled={disabled}
          value={labels}
          onInput={(e) => setLabels(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && e.currentTarget.blur()}
          onBlur={() => {
            const next = labels.split(",").map((l) => l.trim()).filter(Boolean);
            if (next.join(",") !== task.labels.join(",")) void save({ labels: next });
          }}
        />
      </label>
    </div>
  );
}

import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { user$, toast } from "../session";
import { useStore } from "../store";
import type { Comment, Member, Room, Task } from "../types";
import { ROLE_RANK } from "../types";
import { dateTime, errorText, newKey } from "../util";
import { EditedMarker, Revisions } from "./Revisions";

const EMOJI: [string, string][] = [
  ["thumbs_up", "👍"],
  ["heart", "❤️"],
  ["laugh", "😄"],
  ["tada", "🎉"],
  ["eyes", "👀"],
];

/** The `@name` being typed just before the caret, if any. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const found = /(^|\s)@([\w.-]*)$/.exec(text.slice(0, caret));
  return found ? { start: caret - found[2].length - 1, query: found[2] } : null;
}

export function Comments({
  task,
  canWrite,
  members,
  changes,
  room,
}: {
  task: Task;
  canWrite: boolean;
  members: Member[];
  changes: number;
  room: Room | null;
}) {
  const [comments, setComments] = useState<Comment[]>([]);
  const [replyTo, setReplyTo] = useState<string | null>(null);
  const me = useStore(user$);

  async function load() {
    try {
      setComments(await api.all<Comment>(`/tasks/${task.id}/comments`));
    } catch (e) {
      toast(errorText(e));
    }
  }
  useEffect(() => void load(), [task.id, changes]);

  const top = comments.filter((c) => !c.parent_id);
  const replies = (id: string) => comments.filter((c) => c.parent_id === id);
  const isAdmin = !!room && ROLE_RANK[room.my_role] >= ROLE_RANK.admin;

  const item = (c: Comment) => (
    <CommentItem
      key={c.id}
      comment={c}
      mine={!!me && c.author?.id === me.id}
      canModerate={isAdmin}
      canReact={canWrite}
      onChanged={load}
      onReply={!c.parent_id && canWrite ? () => setReplyTo(c.id) : undefined}
    />
  );

  return (
    <section class="comments" aria-labelledby="comments-title">
      <h2 id="comments-title">
        Comments <span class="count">{comments.filter((c) => !c.deleted).length}</span>
      </h2>
      <ol class="thread">
        {top.map((c) => (
          <li key={c.id}>
            {item(c)}
            {(replies(c.id).length > 0 || replyTo === c.id) && (
              <ol class="replies">
                {replies(c.id).map((r) => (
                  <li key={r.id}>{item(r)}</li>
                ))}
                {replyTo === c.id && (
                  <li>
                    <CommentForm
                      taskId={task.id}
                      parentId={c.id}
                      members={members}
                      label="Reply"
                      onDone={() => {
                        setReplyTo(null);
                        void load();
                      }}
                      onCancel={() => setReplyTo(null)}
                    />
                  </li>
                )}
              </ol>
            )}
          </li>
        ))}
      </ol>
      {canWrite && <CommentForm taskId={task.id} members={members} label="Comment" onDone={load} />}
    </section>
  );
}

function CommentItem({
  comment,
  mine,
  canModerate,
  canReact,
  onChanged,
  onReply,
}: {
  comment: Comment;
  mine: boolean;
  canModerate: boolean;
  canReact: boolean;
  onChanged: () => Promise<void>;
  onReply?: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [body, setBody] = useState(comment.body ?? "");
  const [showRevisions, setShowRevisions] = useState(false);
  if (comment.deleted) return <div class="comment deleted muted">This comment was deleted.</div>;

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
      await onChanged();
    } catch (e) {
      toast(errorText(e));
    }
  }
  const react = (emoji: string, given: boolean) =>
    act(() => api.request(given ? "DELETE" : "PUT", `/comments/${comment.id}/reactions/${emoji}`));

  return (
    <div class="comment" data-testid="comment">
      <div class="comment-head">
        <strong>{comment.author?.username ?? "deleted account"}</strong>
        <span class="muted small">
          {dateTime(comment.created_at)}
          {comment.edited_at && (
            <EditedMarker commentId={comment.id} editedAt={comment.edited_at} open={showRevisions} onToggle={() => setShowRevisions(!showRevisions)} />
          )}
        </span>
      </div>
      {showRevisions && comment.edited_at && <Revisions commentId={comment.id} version={comment.version} />}
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await api.request("PATCH", `/comments/${comment.id}`, { body: { body }, ifMatch: `"${comment.version}"` });
              setEditing(false);
            });
          }}
        >
          <label>
            <span class="sr-only">Edit comment</span>
            <textarea rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button type="submit" class="primary">Save</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      ) : (
        // body_html is rendered and sanitised by the comments service (docs/api.md).
        <div class="markdown" dangerouslySetInnerHTML={{ __html: comment.body_html ?? "" }} />
      )}
      <div class="comment-actions">
        {comment.reactions.map((r) => (
          <button
            key={r.emoji}
            type="button"
            class={`reaction${r.reacted ? " mine" : ""}`}
            aria-pressed={r.reacted}
            disabled={!canReact}
            onClick={() => void react(r.emoji, r.reacted)}
          >
            {r.emoji} {r.count}
          </button>
        ))}
        {canReact && (
          <details class="react-menu">
            <summary aria-label="Add a reaction">☺+</summary>
            {EMOJI.map(([name, glyph]) => (
              <button key={name} type="button" class="link" aria-label={name} onClick={() => void react(name, false)}>
                {glyph}
              </button>
            ))}
          </details>
        )}
        {onReply && (
          <button type="button" class="link" onClick={onReply}>
            Reply
          </button>
        )}
        {mine && !editing && (
          <button type="button" class="link" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        {(mine || canModerate) && (
          <button
            type="button"
            class="link danger"
            onClick={() => confirm("Delete this comment?") && void act(() => api.request("DELETE", `/comments/${comment.id}`))}
          >
            Delete
          </button>
        )}
      </div>
    </div>
  );
}

function CommentForm({
  taskId,
  parentId,
  members,
  label,
  onDone,
  onCancel,
}: {
  taskId: string;
  parentId?: string;
  members: Member[];
  label: string;
  onDone: () => void;
  onCancel?: () => void;
}) {
  const [body, setBody] = useState("");
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const options = mention
    ? members.filter((m) => m.username && m.username.toLowerCase().startsWith(mention.query.toLowerCase())).slice(0, 6)
    : [];
  const listId = `mentions-${parentId ?? "new"}`;

  function pick(username: string, textarea: HTMLTextAreaElement | null) {
    if (!mention) return;
    const caret = mention.start + 1 + mention.query.length;
    const next = `${body.slice(0, mention.start)}@${username} ${body.slice(caret)}`;
    setBody(next);
    setMention(null);
    textarea?.focus();
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    try {
      await api.request("POST", `/tasks/${taskId}/comments`, {
        body: parentId ? { body, parent_id: parentId } : { body },
        idempotencyKey: newKey(),
      });
      setBody("");
      onDone();
    } catch (err) {
      toast(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="comment-form" onSubmit={submit}>
      <label>
        <span class="sr-only">{label}</span>
        <textarea
          rows={parentId ? 2 : 3}
          placeholder={parentId ? "Write a reply…" : "Write a comment… (@ to mention)"}
          value={body}
          maxLength={10000}
          aria-controls={listId}
          aria-autocomplete="list"
          onInput={(e) => {
            const area = e.currentTarget;
            setBody(area.value);
            setMention(mentionAt(area.value, area.selectionStart ?? area.value.length));
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (options.length) {
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                setActive((i) => (i + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
              } else if (e.key === "Enter" || e.key === "Tab") {
                e.preventDefault();
                pick(options[active].username!, e.currentTarget);
              } else if (e.key === "Escape") setMention(null);
            } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit(e);
          }}
        />
      </label>
      {options.length > 0 && (
        <ul class="mentions card" role="listbox" id={listId}>
          {options.map((m, i) => (
            <li
              key={m.user_id}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(m.username!, (e.currentTarget.closest("form")?.querySelector("textarea")) ?? null);
              }}
            >
              @{m.username}
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={busy || !body.trim()}>
          {label}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

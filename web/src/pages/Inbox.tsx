import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import {
  deleteNotification,
  emptyInbox,
  markAllRead,
  markRead,
  notificationLink,
  onNotification,
  unread$,
  withNew,
  withPage,
  withRead,
  without,
  type Inbox,
  type Notification,
} from "../notifications";
import { location$, navigate, queryParam } from "../router";
import { toast } from "../session";
import { useStore } from "../store";
import type { Page } from "../types";
import { dateTime, errorText } from "../util";

const PAGE = 30;

export function InboxPage() {
  const unreadOnly = queryParam(useStore(location$), "unread") === "true";
  const unread = useStore(unread$);
  const [inbox, setInbox] = useState<Inbox>(() => emptyInbox(unreadOnly));
  const [loading, setLoading] = useState(true);

  async function load(cursor: string | null) {
    try {
      const page = await api.get<Page<Notification>>("/notifications", { limit: PAGE, unread: unreadOnly || null, cursor });
      setInbox((current) => withPage(current, page, cursor === null));
    } catch (e) {
      toast(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setInbox(emptyInbox(unreadOnly));
    setLoading(true);
    void load(null);
    return onNotification((n) => setInbox((current) => withNew(current, n)));
  }, [unreadOnly]);

  async function act(work: () => Promise<void>) {
    try {
      await work();
    } catch (e) {
      toast(errorText(e));
    }
  }

  const read = (n: Notification) =>
    act(async () => {
      const done = await markRead(n);
      setInbox((current) => withRead(current, n.id, done.read_at ?? new Date().toISOString()));
    });

  return (
    <main class="page">
      <header class="page-head">
        <h1>Notifications</h1>
        <a href="/notifications/preferences">Preferences</a>
      </header>
      <div class="toolbar">
        <label class="check">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => navigate(e.currentTarget.checked ? "/notifications?unread=true" : "/notifications", true)}
          />
          Unread only
        </label>
        <span class="spacer" />
        <button
          type="button"
          disabled={!unread}
          onClick={() =>
            void act(async () => {
              await markAllRead();
              setInbox((current) => withRead(current, null, new Date().toISOString()));
            })
          }
        >
          Mark all read
        </button>
      </div>
      <ol class="inbox" aria-label="Notifications">
        {inbox.items.map((n) => (
          <Entry
            key={n.id}
            n={n}
            onOpen={() => !n.read_at && void read(n)}
            onRead={() => void read(n)}
            onDelete={() =>
              void act(async () => {
                await deleteNotification(n);
                setInbox((current) => without(current, n.id));
              })
            }
          />
        ))}
      </ol>
      {!loading && inbox.items.length === 0 && (
        <p class="empty">{unreadOnly ? "Nothing unread." : "No notifications yet: mentions, assignments and news of the tasks you watch come here."}</p>
      )}
      {inbox.cursor && (
        <button type="button" class="more" onClick={() => void load(inbox.cursor)}>
          Load more
        </button>
      )}
    </main>
  );
}

function Entry({ n, onOpen, onRead, onDelete }: { n: Notification; onOpen: () => void; onRead: () => void; onDelete: () => void }) {
  const link = notificationLink(n);
  return (
    <li class={`note card${n.read_at ? "" : " unread"}`} data-testid="notification">
      <div class="note-body">
        {link ? (
          <a class="note-text" href={link} onClick={onOpen}>
            {n.text}
          </a>
        ) : (
          <span class="note-text">{n.text}</span>
        )}
        <span class="muted small">
          {n.read_at ? "" : "Unread · "}
          {dateTime(n.created_at)}
        </span>
      </div>
      <div class="note-actions">
        {!n.read_at && (
          <button type="button" class="link" onClick={onRead}>
            Mark read
          </button>
        )}
        <button type="button" class="link danger" onClick={onDelete}>
          Delete
        </button>
      </div>
    </li>
  );
}

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deleteNotification,
  emptyInbox,
  fromEvent,
  markAllRead,
  markRead,
  notificationLink,
  onNotification,
  receive,
  refreshUnread,
  unread$,
  unreadLabel,
  withChange,
  withNew,
  withPage,
  withRead,
  without,
  type Notification,
} from "../src/notifications";
import { linkToken } from "../src/pages/Account";
import { liveStatus$, user$ } from "../src/session";
import type { LiveEvent } from "../src/types";

let n = 0;
function note(fields: Partial<Notification> = {}): Notification {
  n += 1;
  return {
    id: `n${n}`,
    kind: "mentioned",
    text: `ann mentioned you on #${n}`,
    room_id: "r1",
    task_id: `t${n}`,
    actor_id: "u1",
    created_at: "2030-01-01T00:00:00Z",
    read_at: null,
    ...fields,
  };
}

function created(id: string, fields: Record<string, unknown> = {}): LiveEvent {
  return {
    id: `e-${id}`,
    type: "notification.created",
    occurred_at: "2030-01-02T10:00:00Z",
    actor_id: "u1",
    data: { notification_id: id, user_id: "me", kind: "mentioned", room_id: "r1", task_id: "t1", text: "ann mentioned you", ...fields },
  };
}

const json = (body: unknown, status = 200) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("the unread count", () => {
  beforeEach(() => unread$.set(null));
  afterEach(() => vi.unstubAllGlobals());

  it("counts each new notification once and tells the open inbox", () => {
    const seen: string[] = [];
    const stop = onNotification((x) => seen.push(x.id));
    receive(created("a"));
    receive(created("a")); // announced twice: counted once
    receive(created("b"));
    receive({ ...created("c"), type: "task.updated" }); // not a notification
    stop();
    receive(created("d"));
    expect(unread$.get()).toBe(3);
    expect(seen).toEqual(["a", "b"]);
  });

  it("turns a notification.created message into the inbox's notification", () => {
    expect(fromEvent(created("x", { task_id: null }))).toEqual({
      id: "x",
      kind: "mentioned",
      text: "ann mentioned you",
      room_id: "r1",
      task_id: null,
      actor_id: "u1",
      created_at: "2030-01-02T10:00:00Z",
      read_at: null,
    });
    expect(fromEvent({ ...created("y"), data: {} })).toBeNull();
  });

  it("is asked for at sign-in and when the socket is live, and forgotten at sign-out", async () => {
    let count = 4;
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => json({ unread: count }));
    vi.stubGlobal("fetch", fetch);
    user$.set({ id: "me", username: "bob", full_name: null, created_at: "" });
    await vi.waitFor(() => expect(unread$.get()).toBe(4));
    count = 6; // what came while the socket was away
    liveStatus$.set("live");
    await vi.waitFor(() => expect(unread$.get()).toBe(6));
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(["/api/v1/notifications/unread-count", "/api/v1/notifications/unread-count"]);
    const pending = refreshUnread(); // asked while signed in...
    user$.set(null); // ...answered after a sign-out: not shown
    expect(unread$.get()).toBeNull();
    await pending;
    expect(unread$.get()).toBeNull();
    liveStatus$.set("off");
  });

  it("goes down as notifications are read or deleted, never below zero", async () => {
    const replies = [json(note({ read_at: "2030-01-03T00:00:00Z" })), json(null, 204), json({ marked: 5 })];
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => replies.shift()!);
    vi.stubGlobal("fetch", fetch);
    unread$.set(3);
    await markRead(note());
    expect(unread$.get()).toBe(2);
    await deleteNotification(note());
    expect(unread$.get()).toBe(1);
    expect(await markAllRead()).toBe(5);
    expect(unread$.get()).toBe(0);
    expect(fetch.mock.calls.map((c) => c[1]?.method)).toEqual(["POST", "DELETE", "POST"]);
  });

  it("does not count a read notification twice", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(null, 204)));
    unread$.set(2);
    await deleteNotification(note({ read_at: "2030-01-01T00:00:00Z" }));
    expect(unread$.get()).toBe(2);
  });

  it("has a label for screen readers", () => {
    expect(unreadLabel(null)).toBe("No unread notifications");
    expect(unreadLabel(0)).toBe("No unread notifications");
    expect(unreadLabel(1)).toBe("1 unread notification");
    expect(unreadLabel(3)).toBe("3 unread notifications");
  });
});

describe("the inbox", () => {
  it("replaces with a first page and appends a later one without doubles", () => {
    const [a, b, c] = [note(), note(), note()];
    let inbox = withPage(emptyInbox(), { items: [a, b], next_cursor: "k1" }, true);
    inbox = withPage(inbox, { items: [b, c], next_cursor: null }, false);
    expect(inbox.items.map((x) => x.id)).toEqual([a.id, b.id, c.id]);
    expect(inbox.cursor).toBeNull();
    inbox = withPage(inbox, { items: [c], next_cursor: "k2" }, true);
    expect(inbox.items).toEqual([c]);
    expect(inbox.cursor).toBe("k2");
  });

  it("puts a live notification on top, once", () => {
    const [old, fresh] = [note(), note()];
    const inbox = withNew(withNew({ ...emptyInbox(), items: [old] }, fresh), fresh);
    expect(inbox.items).toEqual([fresh, old]);
  });

  it("marks read in place, or drops from the unread-only list", () => {
    const [a, b] = [note(), note()];
    const all = withRead({ ...emptyInbox(), items: [a, b] }, a.id, "2030-01-05T00:00:00Z");
    expect(all.items.map((x) => x.read_at)).toEqual(["2030-01-05T00:00:00Z", null]);
    const everything = withRead(all, null, "2030-01-06T00:00:00Z");
    expect(everything.items.map((x) => x.read_at)).toEqual(["2030-01-05T00:00:00Z", "2030-01-06T00:00:00Z"]);
    const unread = withRead({ ...emptyInbox(true), items: [a, b] }, b.id, "2030-01-05T00:00:00Z");
    expect(unread.items).toEqual([a]);
    expect(withRead(unread, null, "x").items).toEqual([]);
  });

  it("deletes one", () => {
    const [a, b] = [note(), note()];
    expect(without({ ...emptyInbox(), items: [a, b] }, a.id).items).toEqual([b]);
  });

  it("links to the task, else the room", () => {
    expect(notificationLink({ room_id: "r", task_id: "t" })).toBe("/tasks/t");
    expect(notificationLink({ room_id: "r", task_id: null })).toBe("/rooms/r");
    expect(notificationLink({ room_id: null, task_id: null })).toBeNull();
  });
});

describe("preferences", () => {
  it("show a change at once, leaving the rest", () => {
    const prefs = {
      kinds: { mentioned: { in_app: true, email: true }, commented: { in_app: true, email: false } },
      email_delivery: "immediate" as const,
    };
    expect(withChange(prefs, { kinds: { mentioned: { email: false } } })).toEqual({
      kinds: { mentioned: { in_app: true, email: false }, commented: { in_app: true, email: false } },
      email_delivery: "immediate",
    });
    expect(withChange(prefs, { email_delivery: "daily" }).email_delivery).toBe("daily");
    expect(prefs.kinds.mentioned.email).toBe(true); // not mutated
  });
});

describe("account links", () => {
  it("read the token after # (as mailed), or from the query", () => {
    expect(linkToken("#token=abc-_1", "")).toBe("abc-_1");
    expect(linkToken("", "?token=q1")).toBe("q1");
    expect(linkToken("#token=h", "?token=q")).toBe("h");
    expect(linkToken("", "")).toBe("");
  });
});

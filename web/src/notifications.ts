// Notifications: the unread count the top bar's bell shows and the inbox's state, kept live
// by the realtime socket's `personal` messages (`notification.created`, docs/realtime.md).

import { api } from "./api";
import { liveStatus$, onPersonalEvent, user$ } from "./session";
import { Store } from "./store";
import type { LiveEvent, Page } from "./types";

export interface Notification {
  id: string;
  kind: string;
  text: string;
  room_id: string | null;
  task_id: string | null;
  actor_id: string | null;
  created_at: string;
  read_at: string | null;
}

export interface KindChoice {
  in_app: boolean;
  email: boolean;
}

export type Delivery = "immediate" | "hourly" | "daily" | "off";

export interface Preferences {
  kinds: Record<string, KindChoice>;
  email_delivery: Delivery;
}

export interface PreferencesChange {
  kinds?: Record<string, Partial<KindChoice>>;
  email_delivery?: Delivery;
}
/** Preferences after a change, as the server will answer them. */
export function withChange(
  prefs: Preferences,
  body: PreferencesChange,
): Preferences {
  const kinds = { ...prefs.kinds };
  for (const [kind, change] of Object.entries(body.kinds ?? {})) kinds[kind] = { ...kinds[kind], ...change };
  return { kinds, email_delivery: body.email_delivery ?? prefs.email_delivery };
}

/** Unread notifications of the signed-in person; null until the server answered. */
export const unread$ = new Store<number | null>(null);

export function unreadLabel(count: number | null): string {
  if (!count) return "No unread notifications";
  return count === 1 ? "1 unread notification" : `${count} unread notifications`;
}

/** Where a notification leads: its task, else its room. */
export function notificationLink(n: Pick<Notification, "room_id" | "task_id">): string | null {
  if (n.task_id) return `/tasks/${n.task_id}`;
  if (n.room_id) return `/rooms/${n.room_id}`;
  return null;
}

/** The notification a `notification.created` message announces; null for anything else. */
export function fromEvent(event: LiveEvent): Notification | null {
  if (event.type !== "notification.created") return null;
  const d = event.data as Record<string, string | null | undefined>;
  if (!d.notification_id) return null;
  return {
    id: d.notification_id,
    kind: String(d.kind ?? ""),
    text: String(d.text ?? ""),
    room_id: d.room_id ?? null,
    task_id: d.task_id ?? null,
    actor_id: event.actor_id,
    created_at: event.occurred_at,
    read_at: null,
  };
}

// The inbox's list: replaced, never mutated (pure functions, tested in web/test/).

export interface Inbox {
  items: Notification[];
  cursor: string | null;
  unreadOnly: boolean;
}

export const emptyInbox = (unreadOnly = false): Inbox => ({ items: [], cursor: null, unreadOnly });

/** A page from the API: the first replaces the list, a later one ("load more") is appended. */
export function withPage(inbox: Inbox, page: Page<Notification>, first: boolean): Inbox {
  const known = new Set(first ? [] : inbox.items.map((n) => n.id));
  const items = first ? page.items : [...inbox.items, ...page.items.filter((n) => !known.has(n.id))];
  return { ...inbox, items, cursor: page.next_cursor };
}

/** A live notification goes on top (once, however often it is announced). */
export function withNew(inbox: Inbox, n: Notification): Inbox {
  if (inbox.items.some((i) => i.id === n.id)) return inbox;
  return { ...inbox, items: [n, ...inbox.items] };
}

/** Marked read: shown as read, or gone from the "unread only" list. */
export function withRead(inbox: Inbox, id: string | null, readAt: string): Inbox {
  const hit = (n: Notification) => !n.read_at && (id === null || n.id === id);
  const items = inbox.unreadOnly
    ? inbox.items.filter((n) => !hit(n))
    : inbox.items.map((n) => (hit(n) ? { ...n, read_at: readAt } : n));
  return { ...inbox, items };
}

export function without(inbox: Inbox, id: string): Inbox {
  return { ...inbox, items: inbox.items.filter((n) => n.id !== id) };
}

// The live part: one count for the whole app, and the listeners of the open inbox.

const listeners = new Set<(n: Notification) => void>();
const announced = new Set<string>();

/** Subscribes to new notifications as they arrive; returns the unsubscribe function. */
export function onNotification(listener: (n: Notification) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function receive(event: LiveEvent): void {
  const n = fromEvent(event);
  if (!n || announced.has(n.id)) return;
  announced.add(n.id);
  unread$.set((count) => (count ?? 0) + 1);
  listeners.forEach((l) => l(n));
}

const lower = (by: number) => unread$.set((count) => (count === null ? null : Math.max(0, count - by)));

export async function refreshUnread(): Promise<void> {
  try {
    const { unread } = await api.get<{ unread: number }>("/notifications/unread-count");
    if (user$.get()) unread$.set(unread); // not after a sign-out meanwhile
  } catch {
    // The bell keeps its last count; the next (re)connection asks again.
  }
}

export async function markRead(n: Notification): Promise<Notification> {
  const { data } = await api.request<Notification>("POST", `/notifications/${n.id}/read`);
  if (!n.read_at) lower(1);
  return data;
}

export async function markAllRead(): Promise<number> {
  const { data } = await api.request<{ marked: number }>("POST", "/notifications/read-all");
  lower(data.marked);
  return data.marked;
}

export async function deleteNotification(n: Notification): Promise<void> {
  await api.request("DELETE", `/notifications/${n.id}`);
  if (!n.read_at) lower(1);
}

onPersonalEvent(receive);
// The count is asked for at sign-in and at every (re)connection of the socket: what was
// missed meanwhile is in it.
liveStatus$.subscribe((status) => status === "live" && void refreshUnread());
let signedInAs: string | null = null;
user$.subscribe((user) => {
  if ((user?.id ?? null) === signedInAs) return; // the same person's profile, changed
  signedInAs = user?.id ?? null;
  if (user) return void refreshUnread();
  unread$.set(null);
  announced.clear();
});
if (typeof document !== "undefined")
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && user$.get()) void refreshUnread();
  });

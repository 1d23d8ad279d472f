// The signed-in person, the live socket and its status, shared by every page.

import { api } from "./api";
import { LiveClient, type LiveStatus } from "./live";
import { navigate } from "./router";
import { Store } from "./store";
import type { LiveEvent, User } from "./types";

export const user$ = new Store<User | null>(null);
export const liveStatus$ = new Store<LiveStatus | "off">("off");
export const toast$ = new Store<{ text: string; kind: "error" | "info"; id: number } | null>(null);

type RoomListener = (roomId: string, event: LiveEvent | null) => void; // null: refetch (reset)
const roomListeners = new Set<RoomListener>();
const personalListeners = new Set<(event: LiveEvent) => void>();
let live: LiveClient | null = null;

/** Subscribes to every room event (and resets); returns the unsubscribe function. */
export function onRoomEvent(listener: RoomListener): () => void {
  roomListeners.add(listener);
  return () => roomListeners.delete(listener);
}

/** Subscribes to the events addressed to the signed-in person (`personal` messages). */
export function onPersonalEvent(listener: (event: LiveEvent) => void): () => void {
  personalListeners.add(listener);
  return () => personalListeners.delete(listener);
}

export function toast(text: string, kind: "error" | "info" = "error"): void {
  toast$.set({ text, kind, id: Date.now() });
}

/** "checking" until the session cookie was tried at start-up. */
export const booted$ = new Store<boolean>(false);

export async function signIn(username: string, password: string): Promise<void> {
  await api.login(username, password);
  user$.set(await api.get<User>("/users/me"));
  startLive();
}

/** At start-up: signed in again from the session cookie, if there is one. */
export async function resumeSession(): Promise<void> {
  try {
    if (await api.resume()) {
      user$.set(await api.get<User>("/users/me"));
      startLive();
    }
  } catch {
    // no session: the sign-in page
  } finally {
    booted$.set(true);
  }
}

export async function signOut(next = "/signin"): Promise<void> {
  live?.stop();
  live = null;
  liveStatus$.set("off");
  await api.logout();
  user$.set(null);
  navigate(next);
}

api.onSignedOut = () => {
  live?.stop();
  live = null;
  liveStatus$.set("off");
  user$.set(null);
};

function startLive(): void {
  live?.stop();
  live = new LiveClient({
    getToken: () => api.accessToken(),
    onStatus: (status) => liveStatus$.set(status),
    onEvent: (roomId, event) => roomListeners.forEach((l) => l(roomId, event)),
    onReset: (roomId) => roomListeners.forEach((l) => l(roomId, null)),
    onUnsubscribed: (roomId) => roomListeners.forEach((l) => l(roomId, null)),
    onPersonal: (event) => personalListeners.forEach((l) => l(event)),
  });
  live.start();
}

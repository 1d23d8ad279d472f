import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import type { Match } from "../router";
import { Bell } from "./Bell";
import { liveStatus$, signOut, toast$, user$ } from "../session";
import { useStore } from "../store";

// A room's sections. One whose service is not there yet is listed with `ready: false` and
// stays hidden. (Notifications are the top bar's bell, not a tab.)
export const ROOM_TABS = [
  { name: "board", label: "Board", path: "", ready: true },
  { name: "members", label: "Members", path: "/members", ready: true },
  { name: "activity", label: "Activity", path: "/activity", ready: true },
  { name: "reports", label: "Reports", path: "/reports", ready: true },
  { name: "webhooks", label: "Webhooks", path: "/webhooks", ready: true, admins: true },
];

export function Layout({ route, children }: { route: Match; children: ComponentChildren }) {
  const user = useStore(user$);
  const live = useStore(liveStatus$);
  const toast = useStore(toast$);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => toast$.set(null), 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/rooms" aria-label="TaskSync: your rooms">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>TaskSync</span>
        </a>
        <nav aria-label="Main">
          <a href="/rooms" aria-current={route.name === "rooms" ? "page" : undefined}>
            Rooms
          </a>
        </nav>
        <span class={`live live-${live}`} role="status" aria-live="polite" data-testid="live-status">
          {live === "live" ? "Live" : live === "reconnecting" ? "Reconnecting…" : live === "connecting" ? "Connecting…" : live === "stopped" ? "Offline" : ""}
        </span>
        <Bell current={route.name.startsWith("notification")} />
        <a class="me" href="/profile" aria-current={route.name === "profile" ? "page" : undefined}>
          {user?.username}
        </a>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <div id="main">{children}</div>
      {toast && (
        <div class={`toast toast-${toast.kind}`} role="alert">
          {toast.text}
          <button type="button" class="link" aria-label="Dismiss" onClick={() => toast$.set(null)}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}

export function RoomTabs({ roomId, current, role }: { roomId: string; current: string; role?: string }) {
  return (
    <nav class="tabs" aria-label="Room">
      {ROOM_TABS.filter((t) => t.ready && (!t.admins || role === "admin" || role === "owner")).map((t) => (
        <a key={t.name} href={`/rooms/${roomId}${t.path}`} aria-current={current === t.name ? "page" : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  );
}

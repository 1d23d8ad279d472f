import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { RoomTabs } from "../components/Layout";
import { useRoom } from "../roomdata";
import { onRoomEvent, toast } from "../session";
import type { ActivityEntry, Page } from "../types";
import { dateTime, errorText } from "../util";

export function RoomActivityPage({ roomId }: { roomId: string }) {
  const { room } = useRoom(roomId);
  const [entries, setEntries] = useState<ActivityEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);

  async function load(after: string | null = null) {
    try {
      const page = await api.get<Page<ActivityEntry>>(`/rooms/${roomId}/activity`, { limit: 50, cursor: after });
      setEntries((e) => (after ? [...e, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (e) {
      toast(errorText(e));
    }
  }
  useEffect(() => {
    void load();
    return onRoomEvent((id) => id === roomId && void load());
  }, [roomId]);

  return (
    <main class="page">
      <header class="page-head">
        <h1>{room?.name ?? "…"}</h1>
        <RoomTabs roomId={roomId} current="activity" role={room?.my_role} />
      </header>
      <ol class="activity card">
        {entries.map((a) => (
          <li key={a.id}>
            <span>{a.summary}</span> <span class="muted small">{dateTime(a.occurred_at ?? a.created_at)}</span>
          </li>
        ))}
      </ol>
      {entries.length === 0 && <p class="empty">Nothing has happened here yet.</p>}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Older
        </button>
      )}
    </main>
  );
}

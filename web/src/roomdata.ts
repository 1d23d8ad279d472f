// Loading a room and its members, shared by the room's pages.

import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { onRoomEvent } from "./session";
import type { Member, Room } from "./types";
import { errorText } from "./util";

export interface RoomData {
  room: Room | null;
  members: Member[];
  error: string;
  reload: () => Promise<void>;
}

export function useRoom(roomId: string): RoomData {
  const [room, setRoom] = useState<Room | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState("");

  async function reload() {
    try {
      const [r, m] = await Promise.all([
        api.get<Room>(`/rooms/${roomId}`),
        api.all<Member>(`/rooms/${roomId}/members`),
      ]);
      setRoom(r);
      setMembers(m);
    } catch (e) {
      setError(errorText(e));
    }
  }

  useEffect(() => {
    void reload();
    return onRoomEvent((id, event) => {
      if (id !== roomId) return;
      if (!event || event.type.startsWith("member.") || event.type.startsWith("room.")) void reload();
    });
  }, [roomId]);

  return { room, members, error, reload };
}

export function memberName(members: Member[], id: string | null | undefined): string {
  if (!id) return "";
  return members.find((m) => m.user_id === id)?.username ?? "someone";
}

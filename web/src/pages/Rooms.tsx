import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { navigate } from "../router";
import { onRoomEvent, toast, user$ } from "../session";
import type { Room } from "../types";
import { errorText } from "../util";

export function RoomsPage() {
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [name, setName] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState("");

  async function load() {
    try {
      setRooms(await api.all<Room>("/rooms"));
    } catch (e) {
      setError(errorText(e));
    }
  }

  useEffect(() => {
    void load();
    return onRoomEvent((_room, event) => {
      if (!event || event.type.startsWith("room.") || event.type.startsWith("member.")) void load();
    });
  }, []);

  async function create(event: Event) {
    event.preventDefault();
    try {
      const { data } = await api.request<Room>("POST", "/rooms", { body: { name } });
      setName("");
      navigate(`/rooms/${data.id}`);
    } catch (e) {
      toast(errorText(e));
    }
  }

  async function join(event: Event) {
    event.preventDefault();
    try {
      const { data } = await api.request<Room>("POST", "/rooms/join", { body: { code } });
      setCode("");
      navigate(`/rooms/${data.id}`);
    } catch (e) {
      toast(e instanceof Error && "status" in e && e.status === 404 ? "No room has that code." : errorText(e));
    }
  }

  async function leave(room: Room) {
    if (!confirm(`Leave “${room.name}”?${room.member_count === 1 ? " You are its last member: it will be deleted." : ""}`)) return;
    try {
      await api.request("DELETE", `/rooms/${room.id}/members/${user$.get()!.id}`);
      await load();
    } catch (e) {
      toast(errorText(e));
    }
  }

  return (
    <main class="page">
      <h1>Your rooms</h1>
      <div class="row forms">
        <form class="card inline-form" onSubmit={create} aria-label="Create a room">
          <label>
            New room
            <input name="room-name" required maxLength={100} placeholder="Launch" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary">
            Create
          </button>
        </form>
        <form class="card inline-form" onSubmit={join} aria-label="Join a room">
          <label>
            Join with a code
            <input
              name="join-code"
              required
              placeholder="K7PXM4QRT"
              autoComplete="off"
              spellcheck={false}
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Join</button>
        </form>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {rooms === null ? (
        <p class="muted">Loading…</p>
      ) : rooms.length === 0 ? (
        <p class="empty">No rooms yet: create one, or join one with the code an admin gave you.</p>
      ) : (
        <ul class="room-list" aria-label="Rooms">
          {rooms.map((room) => (
            <li key={room.id} class="card room-item">
              <a class="room-name" href={`/rooms/${room.id}`}>
                {room.name}
              </a>
              <span class={`badge role-${room.my_role}`}>{room.my_role}</span>
              <span class="muted">
                {room.member_count} {room.member_count === 1 ? "member" : "members"}
              </span>
              <span class="spacer" />
              <a href={`/rooms/${room.id}/members`}>Members</a>
              <button type="button" class="link danger" onClick={() => void leave(room)}>
                Leave
              </button>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

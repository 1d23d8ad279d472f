import { useState } from "preact/hooks";
import { api } from "../api";
import { RoomTabs } from "../components/Layout";
import { useRoom } from "../roomdata";
import { navigate } from "../router";
import { toast, user$ } from "../session";
import { useStore } from "../store";
import type { Member, Role } from "../types";
import { ROLE_RANK } from "../types";
import { errorText, shortDate } from "../util";

export function MembersPage({ roomId }: { roomId: string }) {
  const { room, members, error, reload } = useRoom(roomId);
  const me = useStore(user$);
  const [adding, setAdding] = useState("");
  const [copied, setCopied] = useState(false);
  if (error) return <main class="page"><p class="error" role="alert">{error}</p></main>;
  if (!room) return <main class="page"><p class="muted">Loading…</p></main>;
  const myRank = ROLE_RANK[room.my_role];
  const isAdmin = myRank >= ROLE_RANK.admin;
  const isOwner = room.my_role === "owner";

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
      await reload();
    } catch (e) {
      toast(errorText(e));
    }
  }

  const canManage = (m: Member) => m.user_id !== me?.id && m.role !== "owner" && (isOwner || (isAdmin && ROLE_RANK[m.role] < ROLE_RANK.admin));
  const rolesFor = (): Role[] => (isOwner ? ["viewer", "member", "admin"] : ["viewer", "member"]);

  async function copy() {
    if (!room?.code) return;
    try {
      await navigator.clipboard.writeText(room.code);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      toast("Copy failed: select the code and copy it by hand.");
    }
  }

  return (
    <main class="page">
      <header class="page-head">
        <h1>{room.name}</h1>
        <RoomTabs roomId={roomId} current="members" role={room.my_role} />
      </header>
      {isAdmin && (
        <section class="card code-card" aria-labelledby="code-title">
          <h2 id="code-title">Join code</h2>
          <p class="muted">Anyone with this code can join the room as a member.</p>
          <div class="row">
            <code class="join-code" data-testid="join-code">{room.code}</code>
            <button type="button" onClick={() => void copy()}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button
              type="button"
              onClick={() =>
                confirm("Make a new code? The current one stops working.") &&
                void act(() => api.request("POST", `/rooms/${roomId}/code`))
              }
            >
              Rotate
            </button>
          </div>
        </section>
      )}
      <section aria-labelledby="members-title">
        <h2 id="members-title">
          Members <span class="count">{members.length}</span>
        </h2>
        {isAdmin && (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => {
                await api.request("POST", `/rooms/${roomId}/members`, { body: { username: adding, role: "member" } });
                setAdding("");
              });
            }}
          >
            <label>
              Add by username
              <input required value={adding} onInput={(e) => setAdding(e.currentTarget.value)} placeholder="bob" />
            </label>
            <button type="submit">Add</button>
          </form>
        )}
        <ul class="member-list">
          {members.map((m) => (
            <li key={m.user_id} class="member">
              <span class="avatar" aria-hidden="true">{(m.username ?? "?").slice(0, 1).toUpperCase()}</span>
              <span class="member-name">
                {m.username ?? "(new account)"} {m.user_id === me?.id && <span class="muted">(you)</span>}
                <span class="muted small"> · joined {shortDate(m.joined_at)}</span>
              </span>
              {canManage(m) ? (
                <label class="sr-label">
                  <span class="sr-only">Role of {m.username}</span>
                  <select
                    value={m.role}
                    onChange={(e) =>
                      void act(() => api.request("PATCH", `/rooms/${roomId}/members/${m.user_id}`, { body: { role: e.currentTarget.value } }))
                    }
                  >
                    {rolesFor().map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </label>
              ) : (
                <span class={`badge role-${m.role}`}>{m.role}</span>
              )}
              {isOwner && m.user_id !== me?.id && (
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    confirm(`Hand the room over to ${m.username}? You become an admin.`) &&
                    void act(() => api.request("POST", `/rooms/${roomId}/owner`, { body: { user_id: m.user_id } }))
                  }
                >
                  Make owner
                </button>
              )}
              {canManage(m) && (
                <button
                  type="button"
                  class="link danger"
                  onClick={() =>
                    confirm(`Remove ${m.username} from the room?`) &&
                    void act(() => api.request("DELETE", `/rooms/${roomId}/members/${m.user_id}`))
                  }
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section class="danger-zone">
        <button
          type="button"
          onClick={async () => {
            if (!confirm(`Leave “${room.name}”?`)) return;
            try {
              await api.request("DELETE", `/rooms/${roomId}/members/${me!.id}`);
              navigate("/rooms");
            } catch (e) {
              toast(errorText(e));
            }
          }}
        >
          Leave room
        </button>
        {isOwner && (
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!confirm(`Delete “${room.name}” with all its tasks, comments and files?`)) return;
              try {
                await api.request("DELETE", `/rooms/${roomId}`);
                navigate("/rooms");
              } catch (e) {
                toast(errorText(e));
              }
            }}
          >
            Delete room
          </button>
        )}
      </section>
    </main>
  );
}

import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { toast, user$ } from "../session";
import { useStore } from "../store";
import { errorText } from "../util";
import "../notifications.css";

export interface Watcher {
  user_id: string;
  username: string | null;
  reason: "creator" | "assignee" | "self";
  since: string;
}

const REASON: Record<Watcher["reason"], string> = { creator: "created it", assignee: "assignee", self: "" };

/** Who hears of a task's comments and status changes, and the button to join them or stop. */
export function Watchers({ taskId, changes }: { taskId: string; changes: number }) {
  const me = useStore(user$);
  const [watchers, setWatchers] = useState<Watcher[] | null>(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      setWatchers(await api.get<Watcher[]>(`/tasks/${taskId}/watchers`));
    } catch {
      // the list is a nicety: the task is shown without it
    }
  }
  // An assignment or a new assignee changes who watches: reload with the task's events.
  useEffect(() => void load(), [taskId, changes]);

  const watching = !!watchers?.some((w) => w.user_id === me?.id);

  async function toggle() {
    setBusy(true);
    try {
      await api.request(watching ? "DELETE" : "PUT", `/tasks/${taskId}/watch`);
      await load();
    } catch (e) {
      toast(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  if (!watchers) return null;
  return (
    <section class="watchers" aria-labelledby="watchers-title">
      <h2 id="watchers-title">
        Watchers <span class="count">{watchers.length}</span>
      </h2>
      <button type="button" disabled={busy} onClick={() => void toggle()}>
        {watching ? "Stop watching" : "Watch"}
      </button>
      <p class="muted small">{watching ? "You hear of its comments and status changes." : "Watch to hear of its comments and status changes."}</p>
      {watchers.length > 0 && (
        <ul class="watcher-list">
          {watchers.map((w) => (
            <li key={w.user_id}>
              {w.username ?? "deleted account"}
              {w.user_id === me?.id && " (you)"}
              {REASON[w.reason] && <span class="muted small"> · {REASON[w.reason]}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

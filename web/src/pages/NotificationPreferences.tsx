import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { withChange, type Delivery, type Preferences, type PreferencesChange } from "../notifications";
import { toast, user$ } from "../session";
import { useStore } from "../store";
import { errorText } from "../util";

export const KIND_LABEL: Record<string, string> = {
  assigned: "A task is assigned to you",
  mentioned: "Someone mentions you",
  commented: "A comment on a task you watch",
  status_changed: "A status change on a task you watch",
  deadline_soon: "A deadline is 24 hours away",
  deadline_passed: "A deadline passed",
  added_to_room: "You are added to a room",
  role_changed: "Your role in a room changes",
  removed_from_room: "You are removed from a room",
  ownership_received: "A room is handed over to you",
  webhook_disabled: "A webhook of your room is disabled",
};

const DELIVERY_LABEL: Record<Delivery, string> = {
  immediate: "At once, one message each",
  hourly: "Hourly digest",
  daily: "Daily digest",
  off: "Off: no e-mail",
};

export function NotificationPreferencesPage() {
  const me = useStore(user$);
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const load = () => api.get<Preferences>("/notifications/preferences").then(setPrefs, (e) => toast(errorText(e)));
  useEffect(() => void load(), []);

  // Shown at once; sent one change at a time (only what changed), in order, so the last
  // answer holds every change. On an error the server's state comes back.
  function change(body: PreferencesChange) {
    setPrefs((p) => p && withChange(p, body));
    queue.current = queue.current.then(async () => {
      try {
        setPrefs((await api.request<Preferences>("PATCH", "/notifications/preferences", { body })).data);
      } catch (e) {
        toast(errorText(e));
        await load();
      }
    });
  }

  if (!prefs) return <main class="page narrow"><p class="muted">Loading…</p></main>;
  return (
    <main class="page">
      <header class="page-head">
        <h1>Notification preferences</h1>
        <a href="/notifications">Back to notifications</a>
      </header>
      <section class="card stack" aria-labelledby="kinds-title">
        <h2 id="kinds-title">What you hear about</h2>
        <div class="table-wrap">
          <table class="prefs">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col" class="choice">In the app</th>
                <th scope="col" class="choice">By e-mail</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(prefs.kinds).map(([kind, choice]) => {
                const label = KIND_LABEL[kind] ?? kind;
                return (
                  <tr key={kind} data-kind={kind}>
                    <th scope="row">{label}</th>
                    {(["in_app", "email"] as const).map((channel) => (
                      <td class="choice" key={channel}>
                        <input
                          type="checkbox"
                          aria-label={`${label}: ${channel === "in_app" ? "in the app" : "by e-mail"}`}
                          checked={choice[channel]}
                          onChange={(e) => void change({ kinds: { [kind]: { [channel]: e.currentTarget.checked } } })}
                        />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card stack delivery" aria-labelledby="delivery-title">
        <h2 id="delivery-title">E-mail delivery</h2>
        <label>
          How e-mail comes
          <select
            value={prefs.email_delivery}
            onChange={(e) => void change({ email_delivery: e.currentTarget.value as Delivery })}
          >
            {(Object.keys(DELIVERY_LABEL) as Delivery[]).map((d) => (
              <option key={d} value={d}>
                {DELIVERY_LABEL[d]}
              </option>
            ))}
          </select>
        </label>
        {!me?.email_verified && (
          <p class="small unverified" role="note">
            You have no verified e-mail address yet, so no e-mail goes out: set one in <a href="/profile">your account</a>{" "}
            and open the link we send to it.
          </p>
        )}
        <p class="muted small">
          E-mail goes only to a verified address. A digest is one message with everything that accumulated, sent an hour
          (or a day) after the oldest of it.
        </p>
      </section>
    </main>
  );
}

// A webhook's delivery log: newest first, each attempt, "Load more" by cursor, redeliver.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { toast } from "../session";
import type { Page } from "../types";
import { dateTime, errorText } from "../util";
import { type Delivery, attemptText } from "../webhooks";

// While a delivery is still pending, the log looks again a few times (the send is a moment
// after the ping).
const REFRESHES = 15;
const REFRESH_MS = 1000;

export function DeliveryLog({ path }: { path: string }) {
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const refreshes = useRef(0);

  async function load(after: string | null = null) {
    try {
      const page = await api.get<Page<Delivery>>(`${path}/deliveries`, { limit: 20, cursor: after });
      setItems((current) => (after ? [...(current ?? []), ...page.items] : page.items));
      setCursor(page.next_cursor);
      return page.items;
    } catch (e) {
      toast(errorText(e));
      return [];
    }
  }

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gone = false;
    const tick = async () => {
      const first = await load();
      if (gone) return;
      if (first.some((d) => d.status === "pending" && d.log.length === 0) && refreshes.current++ < REFRESHES)
        timer = setTimeout(() => void tick(), REFRESH_MS);
    };
    void tick();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [path]);

  async function redeliver(d: Delivery) {
    try {
      await api.request("POST", `${path}/deliveries/${d.id}/redeliver`);
      toast("Sent again.", "info");
      refreshes.current = 0;
      setTimeout(() => void load(), REFRESH_MS);
    } catch (e) {
      toast(errorText(e));
    }
  }

  if (!items) return <p class="muted">Loading the log…</p>;
  return (
    <section class="delivery-log" aria-label="Delivery log">
      <div class="row">
        <h3>Delivery log</h3>
        <button type="button" class="link" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {items.length === 0 && <p class="muted small">Nothing sent yet.</p>}
      <ol>
        {items.map((d) => (
          <li key={d.id} class="delivery" data-testid="delivery">
            <div class="row">
              <span class={`badge delivery-${d.status}`}>{d.status}</span>
              <code>{d.event_type}</code>
              <span class="muted small">{dateTime(d.created_at)}</span>
              <span class="spacer" />
              <button type="button" class="link" onClick={() => void redeliver(d)}>
                Redeliver
              </button>
            </div>
            {d.log.length > 0 && (
              <table class="attempts">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Status</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Error</th>
                    <th scope="col">Response</th>
                  </tr>
                </thead>
                <tbody>
                  {d.log.map((a, i) => (
                    <tr key={i} title={attemptText(a)}>
                      <td>{dateTime(a.at)}</td>
                      <td data-testid="attempt-status">{a.status_code ?? "—"}</td>
                      <td>{a.duration_ms} ms</td>
                      <td>{a.error ?? ""}</td>
                      <td>
                        <code class="excerpt">{a.response_head ?? ""}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}

import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { DeliveryLog } from "../components/DeliveryLog";
import { RoomTabs } from "../components/Layout";
import { useRoom } from "../roomdata";
import { toast } from "../session";
import { ROLE_RANK } from "../types";
import { dateTime, errorText } from "../util";
import {
  EVENT_EXAMPLES,
  type FieldErrors,
  type HookBody,
  type Webhook,
  fieldErrors,
  parseEvents,
  webhookChanges,
} from "../webhooks";

export function WebhooksPage({ roomId }: { roomId: string }) {
  const { room, error } = useRoom(roomId);
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const isAdmin = !!room && ROLE_RANK[room.my_role] >= ROLE_RANK.admin;
  const base = `/rooms/${roomId}/webhooks`;

  async function reload() {
    try {
      setHooks(await api.get<Webhook[]>(base));
    } catch (e) {
      toast(errorText(e));
    }
  }
  useEffect(() => {
    if (isAdmin) void reload();
  }, [roomId, isAdmin]);

  if (error) return <main class="page"><p class="error" role="alert">{error}</p></main>;
  return (
    <main class="page webhooks">
      <header class="page-head">
        <h1>{room?.name ?? "…"}</h1>
        <RoomTabs roomId={roomId} current="webhooks" role={room?.my_role} />
      </header>
      {!room ? (
        <p class="muted">Loading…</p>
      ) : !isAdmin ? (
        <section class="card notice" role="note">
          <h2>Webhooks</h2>
          <p>
            Only the room's admins and its owner manage its webhooks (they send the room's events to outside
            addresses). You are a {room.my_role} here: ask an admin or the owner.
          </p>
        </section>
      ) : (
        <>
          {secret && (
            <SecretCard value={secret.value} url={secret.url} onDone={() => setSecret(null)} />
          )}
          <section class="card hook-new" aria-labelledby="new-hook-title">
            <h2 id="new-hook-title">New webhook</h2>
            <HookForm
              submitLabel="Add webhook"
              onSubmit={async (body) => {
                const { data } = await api.request<Webhook>("POST", base, { body });
                setSecret({ url: data.url, value: data.secret ?? "" });
                await reload();
                return true;
              }}
            />
          </section>
          <section aria-labelledby="hooks-title">
            <h2 id="hooks-title">
              Webhooks <span class="count">{hooks?.length ?? 0}</span>
            </h2>
            {hooks?.length === 0 && <p class="empty">No webhook yet: add one above to send this room's events to your URL.</p>}
            <ul class="hook-list">
              {hooks?.map((h) => (
                <HookItem key={h.id} hook={h} base={base} reload={reload} showSecret={(value) => setSecret({ url: h.url, value })} />
              ))}
            </ul>
          </section>
        </>
      )}
    </main>
  );
}

function SecretCard({ value, url, onDone }: { value: string; url: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      toast("Copy failed: select the secret and copy it by hand.");
    }
  }
  return (
    <section class="card secret-card" role="alert" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p>
        For <span class="mono">{url}</span>. Copy it now: it is <strong>not shown again</strong>. Your receiver checks
        each delivery's <code>webhook-signature</code> with it (docs/api.md).
      </p>
      <div class="row">
        <code class="secret" data-testid="webhook-secret">{value}</code>
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" class="primary" onClick={onDone}>
          I have saved it
        </button>
      </div>
    </section>
  );
}

function HookForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: Webhook;
  submitLabel: string;
  onSubmit: (body: HookBody) => Promise<boolean>;
  onCancel?: () => void;
}) {
  const [url, setUrl] = useState(initial?.url ?? "");
  const [events, setEvents] = useState(initial?.events.join(", ") ?? "task.*");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [active, setActive] = useState(initial?.active ?? true);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const id = initial?.id ?? "new";

  async function submit(e: Event) {
    e.preventDefault();
    const parsed = parseEvents(events);
    if (!parsed.events.length) return setErrors({ events: "Name at least one event type." });
    if (parsed.bad) return setErrors({ events: `“${parsed.bad}” is not an event type: use task.created, task.* or *.` });
    setBusy(true);
    try {
      const done = await onSubmit({ url: url.trim(), events: parsed.events, description: description.trim() || null, active });
      setErrors({});
      if (done && !initial) {
        setUrl("");
        setDescription("");
      }
    } catch (err) {
      setErrors(fieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  const described = (field: keyof FieldErrors) => (errors[field] ? `${id}-${field}-error` : undefined);
  return (
    <form class="hook-form" onSubmit={(e) => void submit(e)} noValidate>
      <label>
        URL
        <input
          type="url"
          required
          value={url}
          placeholder="https://example.com/tasksync"
          aria-invalid={errors.url ? "true" : undefined}
          aria-describedby={described("url")}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </label>
      {errors.url && (
        <p class="field-error" id={`${id}-url-error`}>
          {errors.url}
        </p>
      )}
      <label>
        Events <span class="hint">types or prefixes, separated by commas: {EVENT_EXAMPLES.join(", ")}</span>
        <input
          value={events}
          aria-invalid={errors.events ? "true" : undefined}
          aria-describedby={described("events")}
          onInput={(e) => setEvents(e.currentTarget.value)}
        />
      </label>
      {errors.events && (
        <p class="field-error" id={`${id}-events-error`}>
          {errors.events}
        </p>
      )}
      <label>
        Description <span class="hint">optional</span>
        <input
          value={description}
          maxLength={500}
          aria-describedby={described("description")}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </label>
      {errors.description && (
        <p class="field-error" id={`${id}-description-error`}>
          {errors.description}
        </p>
      )}
      <div class="row">
        <label class="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          Active
        </label>
        <span class="spacer" />
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
      {errors.form && (
        <p class="field-error" role="alert">
          {errors.form}
        </p>
      )}
    </form>
  );
}

function HookItem({
  hook,
  base,
  reload,
  showSecret,
}: {
  hook: Webhook;
  base: string;
  reload: () => Promise<void>;
  showSecret: (secret: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [log, setLog] = useState(false);
  const [logKey, setLogKey] = useState(0); // a new key reloads the log
  const path = `${base}/${hook.id}`;

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
    } catch (e) {
      toast(errorText(e));
    }
  }

  return (
    <li class="hook card" data-testid="webhook">
      {editing ? (
        <HookForm
          initial={hook}
          submitLabel="Save"
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            const changed = webhookChanges(hook, body);
            if (Object.keys(changed).length) await api.request("PATCH", path, { body: changed });
            setEditing(false);
            await reload();
            return true;
          }}
        />
      ) : (
        <>
          <div class="row hook-head">
            <span class="mono hook-url">{hook.url}</span>
            <span class={`badge ${hook.active ? "hook-on" : "hook-off"}`}>{hook.active ? "active" : "inactive"}</span>
          </div>
          {hook.description && <p class="hook-desc">{hook.description}</p>}
          <p class="row small">
            {hook.events.map((e) => (
              <code key={e} class="event-pill">
                {e}
              </code>
            ))}
          </p>
          {hook.disabled_reason && <p class="error small">Disabled: {hook.disabled_reason}</p>}
          {hook.failing_since && !hook.disabled_reason && (
            <p class="error small">Failing since {dateTime(hook.failing_since)}</p>
          )}
          <div class="row">
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              onClick={() =>
                void act(async () => {
                  await api.request("POST", `${path}/ping`);
                  toast("Ping sent: see it in the delivery log.", "info");
                  setLog(true);
                  setLogKey((k) => k + 1);
                })
              }
            >
              Ping
            </button>
            <button type="button" aria-expanded={log} onClick={() => setLog(!log)}>
              Deliveries
            </button>
            <button
              type="button"
              onClick={() =>
                confirm("Make a new secret? For 24 hours deliveries are signed with the old and the new one.") &&
                void act(async () => {
                  const { data } = await api.request<Webhook>("POST", `${path}/secret`);
                  showSecret(data.secret ?? "");
                })
              }
            >
              Rotate secret
            </button>
            <button
              type="button"
              class="danger"
              onClick={() =>
                confirm(`Delete the webhook to ${hook.url} and its delivery log?`) &&
                void act(async () => {
                  await api.request("DELETE", path);
                  await reload();
                })
              }
            >
              Delete
            </button>
          </div>
        </>
      )}
      {log && <DeliveryLog key={logKey} path={path} />}
    </li>
  );
}

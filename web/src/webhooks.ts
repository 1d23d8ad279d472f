// A room's webhooks (docs/api.md, "Webhooks"): their shapes, the events field as people type
// it, and a 422's message placed next to the field it is about.

import { ApiError } from "./api";
import { errorText } from "./util";

export interface Webhook {
  id: string;
  room_id: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  created_at: string;
  failing_since: string | null;
  disabled_reason: string | null;
  secret?: string; // on create and rotate only
}

export interface Attempt {
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_head: string | null;
}

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "failed" | "dead";
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  log: Attempt[];
}

// As the service checks them: `task.created`, `task.*` or `*`.
const PATTERN = /^([a-z_]+(\.[a-z_]+|\.\*)|\*)$/;

export const EVENT_EXAMPLES = ["task.*", "comment.*", "member.*", "file.*", "task.created", "task.updated", "*"];

/** The events typed as "task.*, comment.created" (commas or spaces): the patterns, and the
 * first one the service would refuse. */
export function parseEvents(text: string): { events: string[]; bad: string | null } {
  const events = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return { events, bad: events.find((e) => !PATTERN.test(e)) ?? null };
}

export type FieldErrors = Partial<Record<"url" | "events" | "description" | "form", string>>;

/** A problem as messages per field: "Invalid fields: url (Only http and https URLs are
 * allowed.)" is the url's; a problem about no field is the form's. */
export function fieldErrors(error: unknown): FieldErrors {
  const text = errorText(error);
  if (!(error instanceof ApiError) || error.status !== 422) return { form: text };
  const found = /^Invalid fields: ([^()]+?)(?: \((.*)\))?$/s.exec(error.detail);
  if (!found) return { form: text };
  const names = found[1].split(/,\s*/).map((n) => n.replace(/^body\./, "").split(".")[0]);
  const message = found[2] ?? "";
  const errors: FieldErrors = {};
  for (const name of names) {
    if (name === "url") errors.url = message || "Not a URL a webhook can use.";
    else if (name === "events") errors.events = message || "Use event types like task.created, or task.* for all of a kind.";
    else if (name === "description") errors.description = message || "At most 500 characters.";
    else errors.form = text;
  }
  return errors;
}

export interface HookBody {
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
}

/** Only what the edit form changed: `active: true` sent again would also clear a failing
 * webhook's failure record. */
export function webhookChanges(hook: Webhook, body: HookBody): Partial<HookBody> {
  const found: Partial<HookBody> = {};
  if (body.url !== hook.url) found.url = body.url;
  if ([...body.events].sort().join() !== [...hook.events].sort().join()) found.events = body.events;
  if (body.description !== hook.description) found.description = body.description;
  if (body.active !== hook.active) found.active = body.active;
  return found;
}

/** "200 in 35 ms", "timeout after 10000 ms". */
export function attemptText(a: Attempt): string {
  const what = a.status_code !== null ? String(a.status_code) : "no answer";
  return `${what} in ${a.duration_ms} ms`;
}

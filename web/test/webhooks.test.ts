// @vitest-environment node
import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import { type Webhook, fieldErrors, parseEvents, webhookChanges } from "../src/webhooks";

describe("webhook form", () => {
  it("reads event types and prefixes typed with commas or spaces", () => {
    expect(parseEvents("task.*, comment.created  task.*")).toEqual({ events: ["task.*", "comment.created"], bad: null });
    expect(parseEvents("task.*, Task.Created").bad).toBe("Task.Created");
    expect(parseEvents("task.").bad).toBe("task.");
    expect(parseEvents("*").bad).toBeNull();
  });

  it("puts the SSRF guard's refusal next to the URL", () => {
    const refused = new ApiError(422, "/problems/validation-error", "Invalid request", "Invalid fields: url (127.0.0.1 is not a public address.)");
    expect(fieldErrors(refused)).toEqual({ url: "127.0.0.1 is not a public address." });
  });

  it("names the fields of a validation error, and keeps other problems for the form", () => {
    const invalid = new ApiError(422, "x", "Invalid request", "Invalid fields: events.0, url");
    expect(fieldErrors(invalid)).toEqual({ url: expect.any(String), events: expect.any(String) });
    const full = new ApiError(409, "x", "Conflict", "A room has at most 10 webhooks.");
    expect(fieldErrors(full)).toEqual({ form: "A room has at most 10 webhooks." });
  });
});

describe("editing a webhook", () => {
  const hook: Webhook = {
    id: "w1",
    room_id: "r1",
    url: "https://example.com/h",
    events: ["comment.created", "task.*"],
    description: null,
    active: true,
    created_at: "2030-01-01T00:00:00Z",
    failing_since: "2030-01-02T00:00:00Z",
    disabled_reason: null,
  };

  it("sends only what changed (an unchanged `active` would clear the failure record)", () => {
    const same = { url: hook.url, events: ["task.*", "comment.created"], description: null, active: true };
    expect(webhookChanges(hook, same)).toEqual({});
    expect(webhookChanges(hook, { ...same, description: "CI", active: false })).toEqual({ description: "CI", active: false });
    expect(webhookChanges(hook, { ...same, events: ["task.*"] })).toEqual({ events: ["task.*"] });
  });
});

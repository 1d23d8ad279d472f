import { describe, expect, it } from "vitest";
import { Api, ApiError, buildQuery } from "../src/api";

type Call = { url: string; init: RequestInit };

function fake(replies: Response[]) {
  const calls: Call[] = [];
  const fetchImpl = async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected call to ${url}`);
    return reply;
  };
  return { calls, fetchImpl };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const problem = (status: number, detail: string, extra: Record<string, unknown> = {}) =>
  new Response(JSON.stringify({ type: `/problems/x`, title: "T", status, detail, ...extra }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
const tokens = (n: number) => ({ access_token: `a${n}`, refresh_token: `r${n}`, token_type: "bearer", expires_in: 900 });
const header = (call: Call, name: string) => (call.init.headers as Record<string, string>)[name];

describe("Api", () => {
  it("signs in and sends the access token, If-Match and Idempotency-Key", async () => {
    const { calls, fetchImpl } = fake([json(tokens(1)), json({ id: "t" }, 200, { etag: '"2"' })]);
    const api = new Api("", fetchImpl);
    await api.login("ann", "pw");
    const reply = await api.request("PATCH", "/tasks/t", { body: { title: "x" }, ifMatch: '"1"', idempotencyKey: "k" });
    expect(reply).toEqual({ data: { id: "t" }, etag: '"2"', status: 200 });
    expect(calls[1].url).toBe("/api/v1/tasks/t");
    expect(header(calls[0], "X-TaskSync-Session")).toBe("cookie");
    expect(header(calls[1], "Authorization")).toBe("Bearer a1");
    expect(header(calls[1], "If-Match")).toBe('"1"');
    expect(header(calls[1], "Idempotency-Key")).toBe("k");
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ title: "x" });
  });

  it("turns a problem into an ApiError with its fields", async () => {
    const { fetchImpl } = fake([problem(422, "Invalid fields: title", { errors: [{ loc: ["body", "title"], msg: "m" }] })]);
    const error = await new Api("", fetchImpl).request("POST", "/rooms").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, detail: "Invalid fields: title", fields: ["title"] });
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    const { calls, fetchImpl } = fake([json(tokens(1)), problem(401, "expired"), json(tokens(2)), json({ ok: true })]);
    const api = new Api("", fetchImpl);
    await api.login("ann", "pw");
    expect((await api.request("GET", "/users/me")).data).toEqual({ ok: true });
    expect(calls[2].url).toBe("/api/v1/auth/refresh");
    expect(JSON.parse(String(calls[2].init.body))).toEqual({ refresh_token: "r1" });
    expect(header(calls[3], "Authorization")).toBe("Bearer a2");
  });

  it("refreshes before a token expires, one refresh for parallel callers", async () => {
    let now = 0;
    const { calls, fetchImpl } = fake([json(tokens(1)), json(tokens(2))]);
    const api = new Api("", fetchImpl, () => now);
    await api.login("ann", "pw");
    now = 850_000; // within a minute of expiry
    expect(await Promise.all([api.accessToken(), api.accessToken()])).toEqual(["a2", "a2"]);
    expect(calls.filter((c) => c.url.endsWith("/auth/refresh"))).toHaveLength(1);
  });

  it("signs out when the refresh is refused", async () => {
    const { fetchImpl } = fake([json(tokens(1)), problem(401, "expired"), problem(401, "revoked")]);
    const api = new Api("", fetchImpl);
    let signedOut = false;
    api.onSignedOut = () => (signedOut = true);
    await api.login("ann", "pw");
    await expect(api.request("GET", "/users/me")).rejects.toMatchObject({ status: 401 });
    expect(signedOut).toBe(true);
    expect(api.signedIn).toBe(false);
  });

  it("resumes a session from the cookie, sending no token in the body", async () => {
    const { calls, fetchImpl } = fake([json({ ...tokens(1), refresh_token: null }), json({ ok: 1 }), problem(401, "expired"), json({ ...tokens(2), refresh_token: null }), json({ ok: 2 })]);
    const api = new Api("", fetchImpl);
    document.cookie = "tasksync_session=1; path=/";
    expect(await api.resume()).toBe(true);
    expect(calls[0].init.body).toBeUndefined();
    expect(header(calls[0], "X-TaskSync-Session")).toBe("cookie");
    expect(calls[0].init.credentials).toBe("same-origin");
    await api.request("GET", "/users/me");
    expect((await api.request("GET", "/users/me")).data).toEqual({ ok: 2 });
    expect(calls[3].url).toBe("/api/v1/auth/refresh");
    expect(calls[3].init.body).toBeUndefined();
    expect(header(calls[3], "X-TaskSync-Session")).toBe("cookie");
  });

  it("reports no session when the cookie is refused, and asks nothing without one", async () => {
    const { calls, fetchImpl } = fake([problem(401, "no cookie")]);
    document.cookie = "tasksync_session=1; path=/";
    expect(await new Api("", fetchImpl).resume()).toBe(false);
    document.cookie = "tasksync_session=; max-age=0; path=/";
    expect(await new Api("", fetchImpl).resume()).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it("follows cursors to fetch every page", async () => {
    const { calls, fetchImpl } = fake([json({ items: [1, 2], next_cursor: "c" }), json({ items: [3], next_cursor: null })]);
    expect(await new Api("", fetchImpl).all("/rooms")).toEqual([1, 2, 3]);
    expect(calls[1].url).toBe("/api/v1/rooms?limit=200&cursor=c");
  });

  it("repeats list parameters and leaves empty ones out", () => {
    expect(buildQuery({ status: ["pending", "completed"], q: "", assignee: undefined, limit: 5 })).toBe(
      "?status=pending&status=completed&limit=5",
    );
  });
});

// @vitest-environment node
import { describe, expect, it } from "vitest";
import { Api, attachmentName } from "../src/api";
import { type ExportJob, type ExportView, defaultRange, rangeDays, rangeWeeks, runExport } from "../src/reports";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: "/problems/x", title: "T", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });

const job = (state: ExportJob["state"], extra: Partial<ExportJob> = {}): ExportJob => ({
  id: "j1",
  kind: "tasks",
  format: "csv",
  state,
  created_at: "2030-01-01T00:00:00Z",
  finished_at: null,
  expires_at: null,
  error: null,
  download_url: null,
  ...extra,
});

function client(replies: Response[]) {
  const urls: string[] = [];
  const api = new Api("", async (url, init) => {
    urls.push(`${init?.method} ${url}`);
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected call to ${url}`);
    return reply;
  });
  return { api, urls };
}

async function run(replies: Response[], maxPolls = 10) {
  const { api, urls } = client(replies);
  const seen: ExportView["phase"][] = [];
  const waits: number[] = [];
  const last = await runExport(api, "r1", { kind: "tasks", format: "csv" }, {
    onChange: (v) => seen.push(v.phase),
    wait: async (ms) => void waits.push(ms),
    interval: 700,
    maxPolls,
  });
  return { last, seen, waits, urls };
}

describe("background export", () => {
  it("queues, polls while queued and running, and ends done with its link", async () => {
    const done = job("done", { download_url: "/api/v1/rooms/r1/reports/exports/j1/file" });
    const { last, seen, waits, urls } = await run([json(job("queued"), 202), json(job("running")), json(done)]);
    expect(seen).toEqual(["queued", "running", "done"]);
    expect(last).toEqual({ phase: "done", job: done });
    expect(waits).toEqual([700, 700]);
    expect(urls).toEqual([
      "POST /api/v1/rooms/r1/reports/exports",
      "GET /api/v1/rooms/r1/reports/exports/j1",
      "GET /api/v1/rooms/r1/reports/exports/j1",
    ]);
  });

  it("says so when one of yours is already running (409), and polls nothing", async () => {
    const { last, urls } = await run([problem(409, "An export of yours is not finished yet.")]);
    expect(last).toEqual({ phase: "busy", message: "An export of yours is not finished yet." });
    expect(urls).toHaveLength(1);
  });

  it("shows a failed job's error", async () => {
    const { last, seen } = await run([json(job("queued"), 202), json(job("failed", { error: "disk full" }))]);
    expect(seen).toEqual(["queued", "failed"]);
    expect(last).toMatchObject({ phase: "failed", message: "disk full" });
  });

  it("refused input and a lost poll are failures with the problem's text", async () => {
    expect((await run([problem(422, "Invalid fields: tz")])).last).toEqual({ phase: "failed", job: null, message: "Invalid fields: tz" });
    const lost = await run([json(job("queued"), 202), problem(404, "No such export.")]);
    expect(lost.last).toMatchObject({ phase: "failed", message: "No such export." });
  });

  it("gives up after so many polls", async () => {
    const { last, waits } = await run([json(job("queued"), 202), json(job("running")), json(job("running"))], 2);
    expect(waits).toHaveLength(2);
    expect(last).toMatchObject({ phase: "failed", message: expect.stringContaining("too long") });
  });
});

describe("report helpers", () => {
  it("defaults to the 30 days up to today in the browser's zone", () => {
    const range = defaultRange(new Date(2030, 2, 5, 23, 30), "Europe/Kyiv");
    expect(range).toEqual({ from: "2030-02-04", to: "2030-03-05", tz: "Europe/Kyiv" });
    expect(rangeDays(range)).toBe(30);
    expect(rangeWeeks(range)).toBe(5);
    expect(rangeWeeks({ from: "2029-01-01", to: "2030-01-01", tz: "UTC" })).toBe(53);
  });

  it("reads a file's name from Content-Disposition", () => {
    expect(attachmentName('attachment; filename="burndown.csv"')).toBe("burndown.csv");
    expect(attachmentName("attachment; filename*=UTF-8''caf%C3%A9.csv")).toBe("café.csv");
    expect(attachmentName(null)).toBeNull();
  });
});

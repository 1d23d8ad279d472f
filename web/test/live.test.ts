import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveClient, type LiveStatus } from "../src/live";

class FakeSocket {
  static last: FakeSocket;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {}
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  message(body: unknown) {
    this.onmessage?.({ data: JSON.stringify(body) });
  }
}

function client() {
  const events: [string, number][] = [];
  const statuses: LiveStatus[] = [];
  const live = new LiveClient({
    url: "ws://x/api/v1/live",
    getToken: async () => "tok",
    onEvent: (room, _e, seq) => events.push([room, seq]),
    onStatus: (s) => statuses.push(s),
    WebSocketImpl: FakeSocket as never,
  });
  return { live, events, statuses };
}

const ev = (seq: number) => ({ type: "event", room_id: "r", seq, event: { id: String(seq), type: "task.updated", data: {} } });

describe("LiveClient", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("signs in first, then applies events in order once", async () => {
    const { live, events, statuses } = client();
    live.start();
    await vi.runOnlyPendingTimersAsync();
    FakeSocket.last.open();
    expect(FakeSocket.last.sent[0]).toEqual({ type: "auth", token: "tok" });
    FakeSocket.last.message({ type: "ready", rooms: ["r"] });
    FakeSocket.last.message(ev(1));
    FakeSocket.last.message(ev(2));
    FakeSocket.last.message(ev(2));
    expect(events).toEqual([["r", 1], ["r", 2]]);
    expect(statuses).toEqual(["connecting", "live"]);
    live.stop();
  });

  it("asks for a replay on a gap", async () => {
    const { live, events } = client();
    live.start();
    await vi.runOnlyPendingTimersAsync();
    FakeSocket.last.open();
    FakeSocket.last.message(ev(1));
    FakeSocket.last.message(ev(3));
    expect(events).toEqual([["r", 1]]);
    expect(FakeSocket.last.sent.at(-1)).toEqual({ type: "resume", room_id: "r", after: 1 });
    live.stop();
  });

  it("shows reconnecting after a drop and resumes after the last applied event", async () => {
    const { live, statuses } = client();
    live.start();
    await vi.runOnlyPendingTimersAsync();
    const first = FakeSocket.last;
    first.open();
    first.message(ev(1));
    first.onclose?.({ code: 1012 });
    expect(statuses.at(-1)).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.last).not.toBe(first);
    FakeSocket.last.open();
    expect(FakeSocket.last.sent).toContainEqual({ type: "resume", room_id: "r", after: 1 });
    live.stop();
  });

  it("stops for good when the account is closed", async () => {
    const { live, statuses } = client();
    live.start();
    await vi.runOnlyPendingTimersAsync();
    FakeSocket.last.open();
    FakeSocket.last.onclose?.({ code: 4403 });
    expect(statuses.at(-1)).toBe("stopped");
  });
});

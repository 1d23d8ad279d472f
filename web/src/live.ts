// TaskSync live updates: one WebSocket to /api/v1/live (protocol: docs/realtime.md).
//
//   import { LiveClient } from "./live";
//   const live = new LiveClient({
//     url: "/api/v1/live",                       // or "wss://tasks.example.com/api/v1/live"
//     getToken: async () => auth.accessToken(),  // a valid access token (refreshed by you)
//     onEvent: (roomId, event, seq) => store.apply(roomId, event),
//     onReset: (roomId) => store.refetch(roomId), // the server no longer holds what was missed
//     onUnsubscribed: (roomId, reason) => store.drop(roomId),
//     onPersonal: (event) => notifications.add(event),
//     onStatus: (status) => banner.show(status),  // connecting, live, reconnecting, stopped
//   });
//   live.start();  ...  live.stop();
//
// It signs in with the first message, resends a fresh token before the old one expires,
// reconnects with exponential backoff (with jitter), resumes every room after the last
// sequence number it applied, ignores numbers it already applied and asks for a replay when
// it sees a gap.

import type { LiveEvent } from "./types";

const FINAL = new Set([4401, 4403, 1008]);
const MAX_BACKOFF_MS = 30_000;

export type LiveStatus = "connecting" | "live" | "reconnecting" | "stopped";

interface SocketLike {
  readyState: number;
  onopen: ((this: never, ev: Event) => unknown) | null;
  onmessage: ((this: never, ev: MessageEvent) => unknown) | null;
  onclose: ((this: never, ev: CloseEvent) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LiveOptions {
  url?: string;
  getToken: () => Promise<string>;
  onEvent?: (roomId: string, event: LiveEvent, seq: number) => void;
  onReset?: (roomId: string) => void;
  onUnsubscribed?: (roomId: string, reason: string) => void;
  onPersonal?: (event: LiveEvent) => void;
  onStatus?: (status: LiveStatus, detail?: unknown) => void;
  rooms?: string[] | null;
  refreshEveryMs?: number;
  WebSocketImpl?: new (url: string) => SocketLike;
}

type Message =
  | { type: "ready"; rooms: string[] }
  | { type: "event"; room_id: string; seq: number; event: LiveEvent }
  | { type: "reset"; room_id: string }
  | { type: "unsubscribed"; room_id: string; reason: string }
  | { type: "personal"; event: LiveEvent }
  | { type: "subscribed" | "pong" | "error" };

export class LiveClient {
  readonly url: string;
  private readonly getToken: () => Promise<string>;
  private readonly handlers: Required<
    Pick<LiveOptions, "onEvent" | "onReset" | "onUnsubscribed" | "onPersonal" | "onStatus">
  >;
  private rooms: string[] | null;
  private readonly refreshEveryMs: number;
  private readonly WebSocketImpl: new (url: string) => SocketLike;
  readonly lastSeq = new Map<string, number>(); // room id -> last applied seq
  private readonly resuming = new Set<string>(); // replays asked for and not yet answered
  private socket: SocketLike | null = null;
  private stopped = true;
  private attempt = 0;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveOptions) {
    this.url = absoluteUrl(options.url ?? "/api/v1/live");
    this.getToken = options.getToken;
    this.handlers = {
      onEvent: options.onEvent ?? (() => {}),
      onReset: options.onReset ?? (() => {}),
      onUnsubscribed: options.onUnsubscribed ?? (() => {}),
      onPersonal: options.onPersonal ?? (() => {}),
      onStatus: options.onStatus ?? (() => {}),
    };
    this.rooms = options.rooms ?? null;
    this.refreshEveryMs = options.refreshEveryMs ?? 10 * 60_000;
    this.WebSocketImpl =
      options.WebSocketImpl ?? (globalThis.WebSocket as unknown as new (url: string) => SocketLike);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000, "bye");
  }

  subscribe(rooms: string[] | null): void {
    this.rooms = rooms;
    this.send({ type: "subscribe", rooms });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.handlers.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let token: string;
    try {
      token = await this.getToken();
    } catch {
      return this.retry();
    }
    if (this.stopped) return;
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.send({ type: "auth", token });
      if (this.rooms) this.send({ type: "subscribe", rooms: this.rooms });
      for (const [roomId, after] of this.lastSeq) this.resume(roomId, after);
      this.refreshTimer = setInterval(() => void this.refresh(), this.refreshEveryMs);
    };
    socket.onmessage = (message: MessageEvent) => this.receive(JSON.parse(String(message.data)));
    socket.onclose = (closed: CloseEvent) => {
      clearInterval(this.refreshTimer);
      if (this.socket === socket) this.socket = null;
      this.resuming.clear();
      if (this.stopped) return;
      if (FINAL.has(closed.code) && closed.code !== 4401) {
        this.handlers.onStatus("stopped", closed.code);
        return;
      }
      // 4401: the token was refused or expired; getToken() gives a fresh one on retry.
      this.retry();
    };
  }

  private retry(): void {
    this.handlers.onStatus("reconnecting");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay / 2 + Math.random() * (delay / 2));
  }

  private async refresh(): Promise<void> {
    try {
      this.send({ type: "auth", token: await this.getToken() });
    } catch {
      // The next refresh, or the server's 4401 and a reconnect, will try again.
    }
  }

  private resume(roomId: string, after: number): void {
    this.resuming.add(roomId);
    this.send({ type: "resume", room_id: roomId, after });
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  /** Handles one server message (public for tests). */
  receive(message: Message): void {
    switch (message.type) {
      case "ready":
        this.attempt = 0;
        this.handlers.onStatus("live", message.rooms);
        return;
      case "event":
        return this.applyEvent(message);
      case "reset":
        this.resuming.delete(message.room_id);
        this.lastSeq.delete(message.room_id);
        return this.handlers.onReset(message.room_id);
      case "unsubscribed":
        this.lastSeq.delete(message.room_id);
        return this.handlers.onUnsubscribed(message.room_id, message.reason);
      case "personal":
        return this.handlers.onPersonal(message.event);
      default:
        return undefined; // subscribed, pong, error
    }
  }

  private applyEvent({ room_id: roomId, seq, event }: { room_id: string; seq: number; event: LiveEvent }): void {
    const last = this.lastSeq.get(roomId);
    if (last !== undefined && seq <= last) return; // a replay overlapping live events
    if (last !== undefined && seq > last + 1) {
      // A gap: ask for what is missing once; the replay comes before later events.
      if (!this.resuming.has(roomId)) this.resume(roomId, last);
      return;
    }
    this.resuming.delete(roomId);
    this.lastSeq.set(roomId, seq);
    this.handlers.onEvent(roomId, event, seq);
  }
}

function absoluteUrl(url: string): string {
  if (/^wss?:\/\//.test(url) || typeof location === "undefined") return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${url}`;
}

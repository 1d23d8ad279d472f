// TaskSync live updates: one WebSocket to /api/v1/live (protocol: docs/realtime.md).
//
//   import { LiveClient } from "./live.js";
//   const live = new LiveClient({
//     url: "/api/v1/live",                       // or "wss://tasks.example.com/api/v1/live"
//     getToken: async () => auth.accessToken(),  // a valid access token (refreshed by you)
//     onEvent: (roomId, event, seq) => store.apply(roomId, event),
//     onReset: (roomId) => store.refetch(roomId), // the server no longer holds what was missed
//     onUnsubscribed: (roomId, reason) => store.drop(roomId),
//     onPersonal: (event) => notifications.add(event),
//   });
//   live.start();  ...  live.stop();
//
// It signs in with the first message, resends a fresh token before the old one expires,
// reconnects with exponential backoff (with jitter), resumes every room after the last
// sequence number it applied, ignores numbers it already applied and asks for a replay when
// it sees a gap.

const FINAL = new Set([4401, 4403, 1008]);
const MAX_BACKOFF_MS = 30_000;

export class LiveClient {
  constructor({
    url = "/api/v1/live",
    getToken,
    onEvent = () => {},
    onReset = () => {},
    onUnsubscribed = () => {},
    onPersonal = () => {},
    onStatus = () => {},
    rooms = null,
    refreshEveryMs = 10 * 60_000,
    WebSocketImpl = globalThis.WebSocket,
  }) {
    this.url = absoluteUrl(url);
    this.getToken = getToken;
    this.handlers = { onEvent, onReset, onUnsubscribed, onPersonal, onStatus };
    this.rooms = rooms;
    this.refreshEveryMs = refreshEveryMs;
    this.WebSocketImpl = WebSocketImpl;
    this.lastSeq = new Map(); // room id -> last applied seq
    this.resuming = new Set(); // rooms whose replay was asked for and not yet answered
    this.socket = null;
    this.stopped = true;
    this.attempt = 0;
    this.refreshTimer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    if (this.socket) this.socket.close(1000, "bye");
  }

  subscribe(rooms) {
    this.rooms = rooms;
    this.send({ type: "subscribe", rooms });
  }

  async connect() {
    if (this.stopped) return;
    this.handlers.onStatus("connecting");
    let token;
    try {
      token = await this.getToken();
    } catch (error) {
      return this.retry();
    }
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.send({ type: "auth", token });
      if (this.rooms) this.send({ type: "subscribe", rooms: this.rooms });
      for (const [roomId, after] of this.lastSeq) this.resume(roomId, after);
      this.refreshTimer = setInterval(() => this.refresh(), this.refreshEveryMs);
    };
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = (closed) => {
      clearInterval(this.refreshTimer);
      this.socket = null;
      this.resuming.clear();
      if (this.stopped) return;
      if (FINAL.has(closed.code) && closed.code !== 4401) {
        this.handlers.onStatus("stopped", closed.code, closed.reason);
        return;
      }
      // 4401: the token was refused or expired; getToken() gives a fresh one on retry.
      this.retry();
    };
  }

  retry() {
    this.handlers.onStatus("reconnecting");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    setTimeout(() => this.connect(), delay / 2 + Math.random() * (delay / 2));
  }

  async refresh() {
    try {
      this.send({ type: "auth", token: await this.getToken() });
    } catch (error) {
      // The next refresh, or the server's 4401 and a reconnect, will try again.
    }
  }

  resume(roomId, after) {
    this.resuming.add(roomId);
    this.send({ type: "resume", room_id: roomId, after });
  }

  send(message) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  receive(message) {
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

  applyEvent({ room_id: roomId, seq, event }) {
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

function absoluteUrl(url) {
  if (/^wss?:\/\//.test(url) || typeof location === "undefined") return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${url}`;
}

"""What `tasksync watch ROOM` (cli/client/live.py) runs: a room's events, printed as they
happen (a client of /api/v1/live).

It takes an access token from `sign_in` (the client refreshes its stored sign-in), opens the
live socket, narrows it to the room and prints one line per
event. When the socket drops it reconnects with backoff and resumes after the last number it
printed; a `reset` (the server no longer holds what was missed) is printed as such.
"""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import websockets


class Stopped(Exception):
    """Watching cannot go on (the reason is the message)."""


# Close codes after which reconnecting cannot help.
FINAL = {4401: "the sign-in was refused", 4403: "the account is closed"}


class Watcher:
    def __init__(
        self, base_url: str, room_id: str, *, sign_in: Callable[[], dict[str, Any]], out: Any
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.room_id = room_id
        self.sign_in = sign_in
        self.out = out
        self.last_seq: int | None = None
        self.tokens: dict[str, Any] = {}

    @property
    def live_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/api/v1/live"

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._session()
                return
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                if code in FINAL:
                    raise Stopped(f"stopped: {FINAL[code]} ({code})") from closed
                self.out(f"[connection closed ({code}); reconnecting]")
            except OSError as exc:
                self.out(f"[cannot connect ({exc}); retrying]")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30)

    async def _session(self) -> None:
        if not self.tokens or self.tokens["expires_at"] - time.time() < 30:
            self.tokens = await asyncio.to_thread(self.sign_in)
        async with websockets.connect(self.live_url) as socket:
            await socket.send(json.dumps({"type": "auth", "token": self.tokens["access_token"]}))
            await socket.send(json.dumps({"type": "subscribe", "rooms": [self.room_id]}))
            if self.last_seq is not None:
                resume = {"type": "resume", "room_id": self.room_id, "after": self.last_seq}
                await socket.send(json.dumps(resume))
            refreshing = asyncio.create_task(self._keep_token_fresh(socket))
            try:
                async for raw in socket:
                    self._show(json.loads(raw))
            finally:
                refreshing.cancel()

    async def _keep_token_fresh(self, socket: Any) -> None:
        """Sends a fresh access token on the same socket a minute before the old one expires."""
        while True:
            await asyncio.sleep(max(self.tokens["expires_at"] - time.time() - 60, 1))
            self.tokens = await asyncio.to_thread(self.sign_in)
            await socket.send(json.dumps({"type": "auth", "token": self.tokens["access_token"]}))

    def _show(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "event" and message["room_id"] == self.room_id:
            if self.last_seq is not None and message["seq"] <= self.last_seq:
                return
            self.last_seq = message["seq"]
            event = message["event"]
            data = json.dumps(event["data"], ensure_ascii=False)
            self.out(f"#{message['seq']} {event['occurred_at']} {event['type']} {data}")
        elif kind == "subscribed":
            if self.room_id not in message["rooms"]:
                raise Stopped("stopped: no such room, or you are not a member of it")
            self.out(f"[watching room {self.room_id}]")
        elif kind == "unsubscribed":
            raise Stopped(f"stopped: {message['reason'].replace('_', ' ')}")
        elif kind == "reset":
            self.last_seq = None
            self.out("[missed more than the server keeps: refetch the room]")

"""One open socket: who it is, which rooms it receives, and its bounded send queue.

Messages are queued, never sent inline, so that one slow client cannot hold up the fan-out
to the others: a socket whose queue fills up is closed with TOO_SLOW (it resumes).
"""

import asyncio
import contextlib
from uuid import UUID

import structlog
from starlette.websockets import WebSocket

from tasksync.common.auth import Principal
from tasksync.realtime import protocol

log = structlog.get_logger("tasksync.realtime")
# How long closing may wait for a client's close handshake.
CLOSE_TIMEOUT = 5.0


class Connection:
    def __init__(self, websocket: WebSocket, principal: Principal, *, queue_size: int) -> None:
        self.websocket = websocket
        self.principal = principal
        self.user_id: UUID = principal.id
        # The rooms it receives now; `narrowed` the rooms it asked for (None: all of them).
        self.rooms: set[UUID] = set()
        self.narrowed: set[UUID] | None = None
        # The last sequence number sent per room, and the rooms whose resume is in progress
        # (their live events wait in `held` until the replay has been queued).
        self.last_seq: dict[UUID, int] = {}
        self.held: dict[UUID, list[tuple[int, str]]] = {}
        # While its rooms are being listed: the rooms revoked meanwhile, and the messages
        # that wait for `ready` to go first (None once joined).
        self.revoked_while_joining: set[UUID] | None = None
        self.early: list[str] | None = None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(queue_size)
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None

    def start(self, first: str) -> None:
        """Sends `first`, then whatever arrived while joining, then the rest as it comes."""
        early, self.early, self.revoked_while_joining = self.early or [], None, None
        self.send(first)
        for text in early:
            self.send(text)
        self._sender = asyncio.create_task(self._send_queued(), name="live-sender")

    def wants(self, room_id: UUID) -> bool:
        return self.narrowed is None or room_id in self.narrowed

    def push(self, room_id: UUID, seq: int, text: str) -> None:
        """Queues a room's event unless it was sent already (a replay overlapping live)."""
        if room_id in self.held:
            self.held[room_id].append((seq, text))
            return
        if seq <= self.last_seq.get(room_id, 0):
            return
        self.last_seq[room_id] = seq
        self.send(text)

    def send(self, text: str) -> None:
        if self.close_code is not None:
            return
        if self.early is not None:
            self.early.append(text)
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(protocol.TOO_SLOW, "You fell behind; reconnect and resume.")

    def close(self, code: int, reason: str) -> None:
        """Closes the socket after what is queued (at once when the client is too slow)."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        if self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
            if self._sender is not None:
                self._sender.cancel()
            self._closer = asyncio.create_task(self._close_now())
            return
        self.queue.put_nowait(None)

    async def _send_queued(self) -> None:
        try:
            while (text := await self.queue.get()) is not None:
                await self.websocket.send_text(text)
        except asyncio.CancelledError:
            return
        except Exception:  # the client went away: the receive loop sees it too
            self.close_code = self.close_code or 1006
            self.closed.set()
            return
        await self._close_now()

    async def _close_now(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.websocket.close(self.close_code or 1000, self.close_reason), CLOSE_TIMEOUT
            )
        self.closed.set()

    async def stop(self) -> None:
        """The receive loop ended: the sender stops too."""
        if self._sender is not None and not self._sender.done():
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender

"""One open socket: who it is, which rooms it receives, and what waits to go out to it.

A message is written at once while the socket keeps up: the write runs in the caller, with no
task and no queue, and costs no task switch. Only when the transport pushes back (the
client reads slower than we write) does the socket get a queue and a task that drains it, so
one slow client never holds up the fan-out to the others; a socket whose queue fills up is
closed with TOO_SLOW (it resumes). Once the queue is drained, the task ends and writes are
direct again.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any
from uuid import UUID

from starlette.websockets import WebSocket

from tasksync.common.auth import Principal
from tasksync.realtime import protocol

# How long closing may wait for a client's close handshake.
CLOSE_TIMEOUT = 5.0
# Close code for a client that went away without a close frame.
GONE = 1006


class Connection:
    __slots__ = (
        "_closer",
        "_queue",
        "_sender",
        "close_code",
        "close_reason",
        "early",
        "held",
        "last_seq",
        "narrowed",
        "on_stuck",
        "principal",
        "queue_size",
        "revoked_while_joining",
        "rooms",
        "user_id",
        "websocket",
    )

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
        self.queue_size = queue_size
        self.close_code: int | None = None
        self.close_reason = ""
        # Called when the close frame could not be written (the client reads nothing): the
        # session then stops waiting for the client's answer.
        self.on_stuck: Callable[[], None] | None = None
        # What waits for the transport (None while writes are direct); None in it: close.
        self._queue: deque[str | None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None

    def start(self, first: str) -> None:
        """Sends `first`, then whatever arrived while joining, then the rest as it comes."""
        early, self.early, self.revoked_while_joining = self.early or [], None, None
        self.send(first)
        for text in early:
            self.send(text)

    def wants(self, room_id: UUID) -> bool:
        return self.narrowed is None or room_id in self.narrowed

    def push(self, room_id: UUID, seq: int, text: str) -> None:
        """Sends a room's event unless it was sent already (a replay overlapping live)."""
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
        elif self._queue is None:
            self._write(text)
        elif len(self._queue) < self.queue_size:
            self._queue.append(text)
        else:
            self.close(protocol.TOO_SLOW, "You fell behind; reconnect and resume.")

    def _write(self, text: str) -> None:
        """Writes now; if the transport makes the write wait, the rest of it and every later
        message go through the queue and its task."""
        sending = self.websocket.send_text(text)
        try:
            waiting = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the client went away: the receive loop sees it too
            self.close_code = self.close_code or GONE
            return
        self._queue = deque()
        self._sender = asyncio.create_task(self._drain(_Resumed(sending, waiting)))

    async def _drain(self, first: Awaitable[None]) -> None:
        queue = self._queue
        assert queue is not None
        try:
            await first
            while queue:
                if (text := queue.popleft()) is None:
                    await self._close_now()
                    return
                await self.websocket.send_text(text)
        except asyncio.CancelledError:
            return
        except Exception:
            self.close_code = self.close_code or GONE
            return
        self._queue = self._sender = None

    def close(self, code: int, reason: str) -> None:
        """Closes the socket after what is queued (at once when the client is too slow)."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        if self._queue is None:
            self._closer = asyncio.create_task(self._close_now())
        elif len(self._queue) < self.queue_size:
            self._queue.append(None)
        else:
            self._queue.clear()
            if self._sender is not None:
                self._sender.cancel()
            self._closer = asyncio.create_task(self._close_now())

    async def _close_now(self) -> None:
        try:
            await asyncio.wait_for(
                self.websocket.close(self.close_code or 1000, self.close_reason), CLOSE_TIMEOUT
            )
        except Exception:
            if self.on_stuck is not None:
                self.on_stuck()

    async def stop(self) -> None:
        """The receive loop ended: lets the close finish (briefly), then stops writing."""
        pending = {task for task in (self._sender, self._closer) if task and not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=3)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _Resumed:
    """Awaits a coroutine that already ran up to its first suspension (`waiting`, what it
    yielded): what `await` would have done from there on."""

    __slots__ = ("coroutine", "waiting")

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting: Any) -> None:
        self.coroutine, self.waiting = coroutine, waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self.waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as exc:  # handed on into the coroutine, as `await` does
                try:
                    waiting = self.coroutine.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = self.coroutine.send(sent)
            except StopIteration:
                return

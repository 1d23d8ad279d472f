"""uvicorn's WebSocket protocol, holding less for each idle socket (thousands of them stay
open on live updates: docs/performance.md, Live updates).

uvicorn keeps the parsed handshake (request and response, with their headers) for the whole
life of the socket, and an `asyncio.Queue` and an `asyncio.Event` that allocate their
waiter deques up front (five deques, some 3.8 KB, for a socket that mostly receives
nothing). Here the handshake is let go once answered, and the received messages and the
"writable" flag are kept in objects that allocate a waiter only when someone waits.
"""

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class Inbox:
    """The part of `asyncio.Queue` uvicorn uses: one reader (the ASGI `receive`), no bound."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class Flag:
    """The part of `asyncio.Event` uvicorn uses. `wait()` on a set flag returns without
    suspending, as the Event's does (realtime/connection.py writes rely on it)."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        self.request = None

    def start_keepalive(self) -> None:
        # Called once the handshake's answer went out: nothing reads it again.
        self.response = None
        super().start_keepalive()

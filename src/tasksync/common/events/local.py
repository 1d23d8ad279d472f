"""The embedded transport: delivery inside one process, to the other mounted services.

The relay calls `publish`, which hands each event to every subscribed service and returns
once each has applied it (or dead-lettered it); only then are the outbox rows marked relayed.
A crash in between leaves them unmarked, and they are delivered again on the next start,
where the consumers' inbox turns the repeat into a no-op.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, tuple[frozenset[str], Deliver]] = {}
        self._expected: set[str] = set()
        self._ready: asyncio.Event | None = None
        self._closed = False

    def expect(self, groups: set[str]) -> None:
        """Publishing waits until these services have subscribed (they start one by one)."""
        self._expected = set(groups)

    def _ready_event(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
        if self._expected <= set(self._subscribers):
            self._ready.set()
        return self._ready

    def subscribe(self, group: str, types: frozenset[str], deliver: Deliver) -> None:
        self._subscribers[group] = (types, deliver)
        self._ready_event()

    def unsubscribe(self, group: str) -> None:
        """A service is stopping: from now on nothing is relayed, so that no event is marked
        relayed while a consumer is missing. The outbox keeps it for the next start."""
        self._subscribers.pop(group, None)
        self._closed = True

    async def publish(self, producer: str, envelopes: list[dict[str, Any]]) -> None:
        if self._closed:
            raise RuntimeError("the in-process bus is closed (the stack is stopping)")
        await self._ready_event().wait()
        for envelope in envelopes:
            for types, deliver in list(self._subscribers.values()):
                if envelope["type"] in types:
                    await deliver(envelope)

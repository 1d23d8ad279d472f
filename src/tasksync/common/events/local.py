"""The embedded transport: delivery inside one process, to the other mounted services.

The relay calls `publish`, which hands the events to every subscribed service and returns
once each has applied them (or dead-lettered them); only then are the outbox rows marked
relayed. Each service takes the events in order, and the services take them side by side, so
that a slow one (the audit on SQLite, say) never delays the others' pushes.
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
        outcomes = await asyncio.gather(
            *(
                _deliver_in_order(deliver, [e for e in envelopes if e["type"] in types])
                for types, deliver in list(self._subscribers.values())
            ),
            return_exceptions=True,  # every service finishes before the relay hears of one failure
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome


async def _deliver_in_order(deliver: Deliver, envelopes: list[dict[str, Any]]) -> None:
    for envelope in envelopes:
        await deliver(envelope)

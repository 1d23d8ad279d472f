"""Declaring what a service does when another service's event arrives.

    handlers = EventHandlers("rooms")

    @handlers.on(UserDeleted)
    async def forget_user(session: AsyncSession, event: Event[UserDeleted]) -> None: ...

A handler runs inside the transaction that also records the event in the inbox; it must not
commit, and it may `publish` events of its own (they join the same transaction).

    @handlers.before_commit
    async def write_totals(session: AsyncSession) -> None: ...

runs once per transaction, after the handlers of all the events it applies (one, or a batch
read together): for work cheaper once than once per event, such as adding up sums.
`@handlers.before_handling` steps run once before them, with the transaction's envelopes:
for reading (and locking) in one statement what the handlers will each need.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.contracts.events import D, Envelope, EventData

Handler = Callable[[AsyncSession, Event[Any]], Awaitable[None]]
Step = Callable[[AsyncSession], Awaitable[None]]
Preparation = Callable[[AsyncSession, list[Envelope]], Awaitable[None]]


class EventHandlers:
    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: dict[str, list[Handler]] = {}
        self._models: dict[str, type[EventData]] = {}
        self._before_commit: list[Step] = []
        self._before_handling: list[Preparation] = []

    def on(
        self, model: type[D]
    ) -> Callable[[Callable[[AsyncSession, Event[D]], Awaitable[None]]], Any]:
        def register(handler: Callable[[AsyncSession, Event[D]], Awaitable[None]]) -> Any:
            self._handlers.setdefault(model.type_name, []).append(handler)  # type: ignore[arg-type]
            self._models[model.type_name] = model
            return handler

        return register

    def before_handling(self, step: Preparation) -> Preparation:
        self._before_handling.append(step)
        return step

    async def prepare(self, session: AsyncSession, envelopes: list[Envelope]) -> None:
        """Runs the `before_handling` steps: these events are about to be handled."""
        for step in self._before_handling:
            await step(session, envelopes)

    def before_commit(self, step: Step) -> Step:
        self._before_commit.append(step)
        return step

    async def finish(self, session: AsyncSession) -> None:
        """Runs the `before_commit` steps: the transaction's events are all handled."""
        for step in self._before_commit:
            await step(session)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    @property
    def producers(self) -> frozenset[str]:
        """The services whose streams this service must read."""
        return frozenset(model.producer for model in self._models.values())

    def for_type(self, event_type: str) -> list[Handler]:
        return self._handlers.get(event_type, [])

    def model(self, event_type: str) -> type[EventData] | None:
        return self._models.get(event_type)

    def include(self, other: "EventHandlers") -> None:
        """Adds another set's handlers (the kit's replica handlers, say) to this one."""
        for event_type, handlers in other._handlers.items():
            self._handlers.setdefault(event_type, []).extend(handlers)
            self._models[event_type] = other._models[event_type]
        self._before_commit.extend(other._before_commit)
        self._before_handling.extend(other._before_handling)

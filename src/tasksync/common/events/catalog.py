"""The catalog of event types (from `tasksync.contracts.EVENT_TYPES`) and the parsed event a
handler receives."""

from dataclasses import dataclass
from typing import Generic
from uuid import UUID

from tasksync.contracts import EVENT_TYPES
from tasksync.contracts.events import D, Envelope, EventData


@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    producer: str
    model: type[EventData]
    description: str


def build_catalog(models: tuple[type[EventData], ...]) -> dict[str, EventSpec]:
    """Type name -> spec; a type name declared twice is an error."""
    catalog: dict[str, EventSpec] = {}
    for model in models:
        if model.type_name in catalog:
            raise ValueError(f"event type {model.type_name!r} is declared twice")
        catalog[model.type_name] = EventSpec(
            model.type_name,
            model.version,
            model.producer,
            model,
            # One line: it is a cell of the catalog's table.
            " ".join((model.__doc__ or "").split()),
        )
    return catalog


CATALOG = build_catalog(EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class Event(Generic[D]):
    """An envelope with its `data` parsed into the payload model, as handlers receive it."""

    envelope: Envelope
    data: D

    @property
    def id(self) -> UUID:
        return self.envelope.id

    @property
    def actor_id(self) -> UUID | None:
        return self.envelope.actor_id

    @property
    def room_id(self) -> UUID | None:
        return self.envelope.room_id

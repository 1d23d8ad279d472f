"""Event types: each is a pydantic model for `data`, registered under its type name."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event payload. Subclasses are declared with `@event_type(...)`."""

    model_config = ConfigDict(frozen=True)
    type_name: ClassVar[str]
    version: ClassVar[int]
    producer: ClassVar[str]


@dataclass
class EventSpec:
    type: str
    version: int
    producer: str
    model: type[EventData]
    description: str


CATALOG: dict[str, EventSpec] = {}

D = TypeVar("D", bound=EventData)


def event_type(name: str, *, producer: str, version: int = 1) -> Any:
    """Registers an event payload model under its past-tense type name (`user.registered`)."""

    def register(model: type[D]) -> type[D]:
        if name in CATALOG:
            raise ValueError(f"event type {name!r} is declared twice")
        model.type_name, model.version, model.producer = name, version, producer
        CATALOG[name] = EventSpec(name, version, producer, model, (model.__doc__ or "").strip())
        return model

    return register


class Envelope(BaseModel):
    """What travels on the bus: the event's identity and context around its `data`."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    type: str
    version: int
    occurred_at: datetime
    producer: str
    actor_id: UUID | None = None
    room_id: UUID | None = None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event(Generic[D]):
    """An envelope with its `data` parsed into the registered model, as handlers receive it."""

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

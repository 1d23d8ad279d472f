"""The shape of an event: the envelope that travels on the bus and the base of every payload.

A payload model is declared with `@event_type(...)`, which gives it its type name, version
and producer; it is listed in `tasksync.contracts.EVENT_TYPES`, the one catalog of events.
"""

from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event payload. Subclasses are declared with `@event_type(...)`."""

    model_config = ConfigDict(frozen=True)
    type_name: ClassVar[str]
    version: ClassVar[int]
    producer: ClassVar[str]


D = TypeVar("D", bound=EventData)


def event_type(name: str, *, producer: str, version: int = 1) -> Any:
    """Names an event payload model with its past-tense type (`user.registered`)."""

    def name_it(model: type[D]) -> type[D]:
        model.type_name, model.version, model.producer = name, version, producer
        return model

    return name_it


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

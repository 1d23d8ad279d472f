"""Request and response models of the webhook routes."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from tasksync.common.schemas import Input

EventPattern = Annotated[
    str, StringConstraints(max_length=100, pattern=r"^([a-z_]+(\.[a-z_]+|\.\*)|\*)$")
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class WebhookCreate(Input):
    url: Url
    events: Annotated[list[EventPattern], Field(min_length=1, max_length=50)]
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    active: bool = True


class WebhookUpdate(Input):
    url: Url | None = None
    events: Annotated[list[EventPattern], Field(min_length=1, max_length=50)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    active: bool | None = None


class WebhookRead(BaseModel):
    id: UUID
    room_id: UUID
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    failing_since: datetime | None
    disabled_reason: str | None


class WebhookWithSecret(WebhookRead):
    """Shown once, when created or rotated: keep the secret, it is not shown again."""

    secret: str


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_head: str | None


class DeliveryRead(BaseModel):
    id: UUID
    event_id: UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    log: list[AttemptRead]

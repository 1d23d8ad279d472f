"""Request and response models of the notifications service."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from tasksync.common.schemas import Input
from tasksync.notifications.preferences import KINDS, Delivery

Kind = Literal[KINDS]  # type: ignore[valid-type]


class NotificationRead(BaseModel):
    """One notification: what happened, and the room and task it links to."""

    id: UUID
    kind: str
    text: str
    room_id: UUID | None
    task_id: UUID | None
    actor_id: UUID | None
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


class WatcherRead(BaseModel):
    user_id: UUID
    username: str | None
    # "creator", "assignee" or "self".
    reason: str
    since: datetime


class KindChoice(BaseModel):
    in_app: bool
    email: bool


class KindChange(Input):
    in_app: bool | None = None
    email: bool | None = None


class PreferencesRead(BaseModel):
    """Per kind, in the inbox and by e-mail; how e-mail is delivered."""

    kinds: dict[str, KindChoice]
    email_delivery: Delivery


class PreferencesUpdate(Input):
    """Only what changes: `{"kinds": {"commented": {"email": true}}, "email_delivery": "daily"}`."""

    kinds: dict[Kind, KindChange] | None = None
    email_delivery: Delivery | None = None

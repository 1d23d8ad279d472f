"""Replies of the activity service (it takes no bodies)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class EntryRead(BaseModel):
    """One entry of the audit: what happened, who did it, to what, and a line for people."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    seq: int
    occurred_at: datetime
    actor_id: UUID | None
    actor_label: str | None
    room_id: UUID | None
    type: str
    subject_type: str
    subject_id: UUID | None
    subject_label: str | None
    changes: list[dict[str, Any]]
    summary: str
    hash: str


class VerifyRead(BaseModel):
    """`ok`, how many entries were walked, and where the chain first breaks."""

    ok: bool
    entries: int
    first_bad: UUID | None = None
    first_bad_seq: int | None = None

"""Request and response models of the comments service."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from tasksync.common.schemas import Input, NotBlank

MAX_BODY = 10_000


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store it; refused on SQLite too, so both modes answer alike.
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000)")
    return value


Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY), NotBlank, AfterValidator(_no_nul)]


class Emoji(StrEnum):
    """The reactions one may give: a fixed set, so that counts stay meaningful."""

    thumbs_up = "👍"
    thumbs_down = "👎"
    heart = "❤️"
    laugh = "😄"
    tada = "🎉"
    confused = "😕"
    rocket = "🚀"
    eyes = "👀"
    fire = "🔥"
    clap = "👏"
    check = "✅"
    thinking = "🤔"


class CommentCreate(Input):
    body: Body
    # A top-level comment of the same task, to reply to it.
    parent_id: UUID | None = None


class CommentUpdate(Input):
    body: Body


class Author(BaseModel):
    id: UUID
    username: str | None


class ReactionCount(BaseModel):
    emoji: Emoji
    count: int
    # Whether the caller is one of them.
    reacted: bool


class CommentRead(BaseModel):
    """A comment; a deleted one is a tombstone (`deleted: true`, no body)."""

    id: UUID
    task_id: UUID
    room_id: UUID
    parent_id: UUID | None
    # Null for the comment of a deleted account.
    author: Author | None
    body: str | None
    body_html: str | None
    deleted: bool
    created_at: datetime
    edited_at: datetime | None
    version: int
    reactions: list[ReactionCount]


class RevisionRead(BaseModel):
    """An earlier body of a comment, and when it was written."""

    body: str
    written_at: datetime

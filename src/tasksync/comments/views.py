"""Comments as a caller sees them: plain data (authors' names, reaction counts and whether
the caller is among them), shaped into the response by the routes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.comments import queries
from tasksync.comments.models import Comment


@dataclass(frozen=True, slots=True)
class AuthorView:
    id: UUID
    username: str | None


@dataclass(frozen=True, slots=True)
class ReactionView:
    emoji: str
    count: int
    reacted: bool


@dataclass(frozen=True, slots=True)
class CommentView:
    id: UUID
    task_id: UUID
    room_id: UUID
    parent_id: UUID | None
    author: AuthorView | None
    body: str | None
    body_html: str | None
    deleted: bool
    created_at: datetime
    edited_at: datetime | None
    version: int
    reactions: list[ReactionView]


async def views(
    session: AsyncSession, comments: Sequence[Comment], *, caller_id: UUID
) -> list[CommentView]:
    """Comments as they are shown to the caller: authors' names and reaction counts."""
    authors = {c.author_id for c in comments if c.author_id is not None}
    names = await queries.usernames(session, authors) if authors else {}
    counts = await queries.reaction_counts(session, [c.id for c in comments], user_id=caller_id)
    return [
        CommentView(
            id=c.id,
            task_id=c.task_id,
            room_id=c.room_id,
            parent_id=c.parent_id,
            author=None if c.author_id is None else AuthorView(c.author_id, names.get(c.author_id)),
            body=c.body,
            body_html=c.body_html,
            deleted=c.deleted_at is not None,
            created_at=c.created_at,
            edited_at=c.edited_at,
            version=c.version,
            # A reaction that raced the deletion (SQLite takes no row locks) is not shown.
            reactions=[] if c.deleted_at else [ReactionView(*n) for n in counts.get(c.id, [])],
        )
        for c in comments
    ]


async def view(session: AsyncSession, comment: Comment, *, caller_id: UUID) -> CommentView:
    return (await views(session, [comment], caller_id=caller_id))[0]

"""Every SQL statement of the comments service.

A task's comments are listed by `(created_at, id)`, the cursor holding both (and the order it
belongs to), so walking pages stays correct while comments are added between them.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import case, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.comments.models import Comment, CommentRevision, Reaction, known_users
from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.errors import BadRequest
from tasksync.common.pagination import (
    NOT_OURS,
    PageParams,
    Slice,
    aware_datetime,
    decode_cursor,
    keyset_slice,
    same,
    uuid_value,
)

ReactionCounts = dict[UUID, list[tuple[str, int, bool]]]


async def comment(session: AsyncSession, comment_id: UUID, *, lock: bool = False) -> Comment | None:
    """A comment (tombstones included); with `lock`, held against a concurrent deletion."""
    query = select(Comment).where(Comment.id == comment_id)
    if lock:
        query = query.with_for_update(read=True)
    return (await session.scalars(query)).first()


async def task_comments(
    session: AsyncSession, *, task_id: UUID, newest_first: bool, page: PageParams
) -> Slice[Comment]:
    key = tuple_(Comment.created_at, Comment.id)
    query = select(Comment).where(Comment.task_id == task_id)
    direction = "desc" if newest_first else "asc"
    if page.cursor:
        order_of, *after = decode_cursor(page.cursor, same, aware_datetime, uuid_value)
        if order_of != direction:
            raise BadRequest(NOT_OURS)
        query = query.where(key < tuple(after) if newest_first else key > tuple(after))
    order = (
        (Comment.created_at.desc(), Comment.id.desc())
        if newest_first
        else (Comment.created_at, Comment.id)
    )
    rows = (await session.scalars(query.order_by(*order).limit(page.limit + 1))).all()
    return keyset_slice(
        rows, page.limit, lambda c: [direction, c.created_at.isoformat(), str(c.id)]
    )


async def usernames(session: AsyncSession, user_ids: set[UUID]) -> dict[UUID, str]:
    c = known_users.table.c
    rows = await session.execute(select(c.id, c.username).where(c.id.in_(sorted(user_ids))))
    return {row.id: row.username for row in rows}


async def reaction_counts(
    session: AsyncSession, comment_ids: Sequence[UUID], *, user_id: UUID
) -> ReactionCounts:
    """Per comment: (emoji, count, whether `user_id` is one of them), in reaction order."""
    if not comment_ids:
        return {}
    mine = func.max(case((Reaction.user_id == user_id, 1), else_=0))
    rows = await session.execute(
        select(Reaction.comment_id, Reaction.emoji, func.count(), mine)
        .where(Reaction.comment_id.in_(list(comment_ids)))
        .group_by(Reaction.comment_id, Reaction.emoji)
        .order_by(Reaction.comment_id, func.min(Reaction.created_at), Reaction.emoji)
    )
    counts: ReactionCounts = {}
    for comment_id, emoji, count, reacted in rows:
        counts.setdefault(comment_id, []).append((emoji, count, bool(reacted)))
    return counts


async def revisions(session: AsyncSession, comment_id: UUID) -> Sequence[CommentRevision]:
    query = (
        select(CommentRevision)
        .where(CommentRevision.comment_id == comment_id)
        .order_by(CommentRevision.written_at, CommentRevision.id)
    )
    return (await session.scalars(query)).all()


async def forget_history(session: AsyncSession, comment_id: UUID) -> None:
    """A deleted comment's revisions and reactions go with its body."""
    for table in (CommentRevision, Reaction):
        await session.execute(delete(table).where(table.comment_id == comment_id))


async def add_reaction(
    session: AsyncSession, *, comment_id: UUID, user_id: UUID, emoji: str
) -> bool:
    """Whether the reaction is new (a second one is not written)."""
    statement = upsert(session, Reaction.__table__).values(
        comment_id=comment_id, user_id=user_id, emoji=emoji, created_at=utcnow()
    )
    result = await session.execute(statement.on_conflict_do_nothing())
    return result.rowcount == 1


async def remove_reaction(
    session: AsyncSession, *, comment_id: UUID, user_id: UUID, emoji: str
) -> bool:
    """Whether there was such a reaction."""
    result = await session.execute(
        delete(Reaction).where(
            Reaction.comment_id == comment_id, Reaction.user_id == user_id, Reaction.emoji == emoji
        )
    )
    return result.rowcount == 1


async def delete_task_comments(session: AsyncSession, task_id: UUID) -> None:
    await _delete_comments(session, Comment.task_id == task_id)


async def delete_room_comments(session: AsyncSession, room_id: UUID) -> None:
    await _delete_comments(session, Comment.room_id == room_id)


async def _delete_comments(session: AsyncSession, condition: Any) -> None:
    """Deletes comments with their revisions and reactions (the database cascades them)."""
    await session.execute(
        delete(Comment).where(condition).execution_options(synchronize_session=False)
    )


async def forget_author(session: AsyncSession, user_id: UUID) -> None:
    """A deleted account's comments stay, without an author; its reactions go."""
    await session.execute(
        update(Comment)
        .where(Comment.author_id == user_id)
        .values(author_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Reaction).where(Reaction.user_id == user_id))

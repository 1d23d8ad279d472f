from collections.abc import Sequence
from uuid import UUID

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.comments import service
from tasksync.comments.dependencies import (
    CommentDep,
    EmojiDep,
    LockedComment,
    NewestFirst,
    TaskReader,
    TaskWriter,
    WriteLimit,
)
from tasksync.comments.models import Comment
from tasksync.comments.schemas import CommentCreate, CommentRead, CommentUpdate, RevisionRead
from tasksync.comments.views import view
from tasksync.common.concurrency import IfMatch, etag
from tasksync.common.db import DbSession
from tasksync.common.idempotency import IdempotentWrite
from tasksync.common.known_users import Users
from tasksync.common.pagination import Page, Paging
from tasksync.common.room_roles import RoomAccess, RoomRoles

router = APIRouter(prefix="/api/v1", tags=["comments"])


async def _read(
    session: AsyncSession, comment: Comment, access: RoomAccess, response: Response | None = None
) -> CommentRead:
    shown = await view(session, comment, caller_id=access.caller.id)
    if response is not None:
        response.headers["ETag"] = etag(comment.version)
    return CommentRead.model_validate(shown, from_attributes=True)


@router.post("/tasks/{task_id}/comments", status_code=status.HTTP_201_CREATED)
async def create_comment(
    task_id: UUID,
    body: CommentCreate,
    access: TaskWriter,
    session: DbSession,
    roles: RoomRoles,
    users: Users,
    guard: WriteLimit,
    idempotency: IdempotentWrite,
    response: Response,
) -> CommentRead:
    """Comment on a task, or reply to a top-level comment with `parent_id` (members and up);
    send `Idempotency-Key` to retry safely."""

    async def create() -> CommentRead:
        created = await service.create_comment(
            session, roles, users, guard, access=access, task_id=task_id, data=body
        )
        return await _read(session, created, access)

    comment = await idempotency.run(
        session, ("create-comment", task_id, body), create, schema=CommentRead
    )
    response.headers["Location"] = f"/api/v1/comments/{comment.id}"
    response.headers["ETag"] = etag(comment.version)
    return comment


@router.get("/tasks/{task_id}/comments")
async def list_comments(
    task_id: UUID, access: TaskReader, session: DbSession, paging: Paging, newest_first: NewestFirst
) -> Page[CommentRead]:
    """A task's comments and replies, oldest first (`order=desc`: newest first); deleted
    ones are tombstones (`deleted: true`, no body)."""
    page = await service.list_comments(
        session, task_id=task_id, caller_id=access.caller.id, newest_first=newest_first, page=paging
    )
    return Page[CommentRead].model_validate(page, from_attributes=True)


@router.get("/comments/{comment_id}")
async def get_comment(
    comment_id: UUID, found: CommentDep, session: DbSession, response: Response
) -> CommentRead:
    """One comment, with its `ETag`."""
    return await _read(session, found.comment, found.access, response)


@router.patch("/comments/{comment_id}")
async def update_comment(
    comment_id: UUID,
    body: CommentUpdate,
    found: CommentDep,
    session: DbSession,
    roles: RoomRoles,
    users: Users,
    response: Response,
    if_match: IfMatch = None,
) -> CommentRead:
    """Edit your comment; send `If-Match` with its `ETag` to avoid lost updates. The body it
    replaces is kept as a revision."""
    comment = await service.update_comment(
        session,
        roles,
        users,
        comment=found.comment,
        access=found.access,
        changes=body,
        if_match=if_match,
    )
    return await _read(session, comment, found.access, response)


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(
    comment_id: UUID, found: CommentDep, session: DbSession, if_match: IfMatch = None
) -> None:
    """Delete a comment: your own, or anyone's (admins and the owner). It stays in its
    thread as a tombstone."""
    await service.delete_comment(
        session, comment=found.comment, access=found.access, if_match=if_match
    )


@router.get("/comments/{comment_id}/revisions")
async def list_revisions(
    comment_id: UUID, found: CommentDep, session: DbSession
) -> Sequence[RevisionRead]:
    """The earlier bodies of a comment, oldest first, each with when it was written."""
    found_revisions = await service.revisions(session, comment=found.comment)
    return [RevisionRead.model_validate(r, from_attributes=True) for r in found_revisions]


@router.put("/comments/{comment_id}/reactions/{emoji}")
async def add_reaction(
    comment_id: UUID, emoji: EmojiDep, found: LockedComment, session: DbSession
) -> CommentRead:
    """React to a comment with one of the allowed emoji (members and up); once per emoji."""
    await service.react(session, comment=found.comment, access=found.access, emoji=emoji, on=True)
    return await _read(session, found.comment, found.access)


@router.delete("/comments/{comment_id}/reactions/{emoji}")
async def remove_reaction(
    comment_id: UUID, emoji: EmojiDep, found: LockedComment, session: DbSession
) -> CommentRead:
    """Take your reaction back."""
    await service.react(session, comment=found.comment, access=found.access, emoji=emoji, on=False)
    return await _read(session, found.comment, found.access)

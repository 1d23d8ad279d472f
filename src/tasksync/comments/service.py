"""Comments: discussions under tasks, with replies, mentions, edits and reactions.

Functions take the session first and never commit: the request (or the event) is the unit
of work. A task's room comes from the kit's task replica and the caller's role in it from the
room-role replica; outsiders get 404 for a task or comment of a room they are not in.
"""

from collections.abc import Sequence
from contextlib import suppress
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tasksync.comments import queries
from tasksync.comments.markdown import mention_candidates, render
from tasksync.comments.models import Comment, CommentRevision
from tasksync.comments.schemas import CommentCreate, CommentUpdate, Emoji
from tasksync.comments.settings import CommentsSettings
from tasksync.comments.views import CommentView, views
from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.concurrency import check_if_match
from tasksync.common.errors import (
    Conflict,
    Forbidden,
    InvalidField,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    TooManyRequests,
)
from tasksync.common.events.outbox import publish
from tasksync.common.known_users import UserLookup
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.ratelimit import WindowCounter
from tasksync.common.room_roles import RoleSource, RoomAccess, room_access
from tasksync.contracts.comments import (
    CommentCreated,
    CommentDeleted,
    CommentUpdated,
    ReactionAdded,
    ReactionRemoved,
)

NO_TASK = "No such task, or you are not a member of its room."
NO_COMMENT = "No such comment, or you are not a member of its room."


class CommentGuard:
    """Limits how many comments one person writes in a window (a burst, then 429)."""

    def __init__(self, counter: WindowCounter, settings: CommentsSettings) -> None:
        self.counter = counter
        self.limit = settings.comments_per_user
        self.window = settings.comment_window_seconds

    async def attempt(self, user_id: UUID) -> None:
        key = f"comments:write:{user_id}"
        if await self.counter.hit(key, self.window) > self.limit:
            _, retry_after = await self.counter.get(key)
            raise TooManyRequests(
                "Too many comments in a short time; wait before writing more.",
                retry_after=retry_after,
            )


# Access


async def comment_access(
    session: AsyncSession,
    roles: RoleSource,
    *,
    comment_id: UUID,
    caller: Principal,
    lock: bool = False,
) -> tuple[Comment, RoomAccess]:
    """A comment that is not deleted and the caller's access to its room (404 otherwise)."""
    comment = await queries.comment(session, comment_id, lock=lock)
    if comment is None or comment.deleted_at is not None:
        raise NotFound(NO_COMMENT)
    try:
        access = await room_access(roles, session, room_id=comment.room_id, caller=caller)
    except NotFound:
        raise NotFound(NO_COMMENT) from None
    return comment, access


# Mentions


async def _members_named(
    session: AsyncSession, roles: RoleSource, users: UserLookup, *, room_id: UUID, body: str
) -> dict[str, UUID]:
    """The room's members among the names written after an `@` (lower-cased name -> id).
    A name nobody has, or that could not be looked up, stays plain text."""
    members: dict[str, UUID] = {}
    for name in mention_candidates(body):
        try:
            user = await users.by_username(session, name)
        except (NotFound, ServiceUnavailable):
            continue
        role = await roles.role(session, room_id=room_id, user_id=user.id, token=users.token)
        if role is not None:
            members[name] = user.id
    return members


# Writes


async def create_comment(
    session: AsyncSession,
    roles: RoleSource,
    users: UserLookup,
    guard: CommentGuard,
    *,
    access: RoomAccess,
    task_id: UUID,
    data: CommentCreate,
) -> Comment:
    access.require("member", "comment")
    author_id = access.caller.id
    if data.parent_id is not None:
        parent = await queries.comment(session, data.parent_id)
        if (
            parent is None
            or parent.task_id != task_id
            or parent.parent_id is not None
            or parent.deleted_at is not None
        ):
            raise InvalidField("Invalid fields: parent_id (not a top-level comment of this task).")
    await guard.attempt(author_id)
    # The author's name is shown with the comment: make sure this service has heard of it
    # (if the users service cannot say now, the name follows with its events).
    with suppress(NotFound, ServiceUnavailable):
        await users.by_id(session, author_id)
    members = await _members_named(session, roles, users, room_id=access.room_id, body=data.body)
    rendered = render(data.body, members)
    now = utcnow()
    comment = Comment(
        task_id=task_id,
        room_id=access.room_id,
        parent_id=data.parent_id,
        author_id=author_id,
        body=data.body,
        body_html=rendered.html,
        mentioned_user_ids=[str(user_id) for user_id in rendered.mentioned],
        created_at=now,
        edited_at=None,
        deleted_at=None,
    )
    session.add(comment)
    await session.flush()
    publish(
        session,
        CommentCreated(
            comment_id=comment.id,
            task_id=task_id,
            room_id=access.room_id,
            author_id=author_id,
            parent_id=data.parent_id,
            mentioned_user_ids=rendered.mentioned,
        ),
        actor_id=author_id,
        room_id=access.room_id,
    )
    return comment


async def _flush_checked(session: AsyncSession, *, if_match: str | None) -> None:
    """A concurrent write to the same comment is 412 with If-Match, else 409."""
    try:
        await session.flush()
    except StaleDataError as exc:
        if if_match is not None:
            raise PreconditionFailed(
                "The comment changed since you read it; read it again and retry."
            ) from exc
        raise Conflict("The comment was changed by someone else at the same time; retry.") from exc


async def update_comment(
    session: AsyncSession,
    roles: RoleSource,
    users: UserLookup,
    *,
    comment: Comment,
    access: RoomAccess,
    changes: CommentUpdate,
    if_match: str | None = None,
) -> Comment:
    """Its author edits a comment; the body it replaces is kept as a revision."""
    if comment.author_id != access.caller.id:
        raise Forbidden("Only its author can edit a comment.")
    check_if_match(if_match, comment.version)
    if changes.body == comment.body:
        return comment
    assert comment.body is not None
    session.add(
        CommentRevision(
            comment_id=comment.id,
            body=comment.body,
            written_at=comment.edited_at or comment.created_at,
        )
    )
    members = await _members_named(
        session, roles, users, room_id=comment.room_id, body=changes.body
    )
    rendered = render(changes.body, members)
    before = set(comment.mentioned_user_ids)
    comment.body = changes.body
    comment.body_html = rendered.html
    comment.mentioned_user_ids = [str(user_id) for user_id in rendered.mentioned]
    comment.edited_at = utcnow()
    await _flush_checked(session, if_match=if_match)
    publish(
        session,
        CommentUpdated(
            comment_id=comment.id,
            task_id=comment.task_id,
            room_id=comment.room_id,
            author_id=comment.author_id,
            version=comment.version,
            mentioned_user_ids=[u for u in rendered.mentioned if str(u) not in before],
        ),
        actor_id=access.caller.id,
        room_id=comment.room_id,
    )
    return comment


async def delete_comment(
    session: AsyncSession, *, comment: Comment, access: RoomAccess, if_match: str | None = None
) -> None:
    """Its author deletes a comment, or an admin or the owner does; it stays a tombstone,
    and its revisions and reactions go."""
    if comment.author_id != access.caller.id:
        access.require("admin", "delete someone else's comment")
    check_if_match(if_match, comment.version)
    comment.body = None
    comment.body_html = None
    comment.mentioned_user_ids = []
    comment.deleted_at = utcnow()
    await _flush_checked(session, if_match=if_match)
    await queries.forget_history(session, comment.id)
    publish(
        session,
        CommentDeleted(
            comment_id=comment.id,
            task_id=comment.task_id,
            room_id=comment.room_id,
            author_id=comment.author_id,
        ),
        actor_id=access.caller.id,
        room_id=comment.room_id,
    )


async def react(
    session: AsyncSession, *, comment: Comment, access: RoomAccess, emoji: Emoji, on: bool
) -> None:
    """Adds (`on`) or takes back the caller's reaction; doing it twice changes nothing."""
    access.require("member", "react to comments")
    user_id = access.caller.id
    change = queries.add_reaction if on else queries.remove_reaction
    if not await change(session, comment_id=comment.id, user_id=user_id, emoji=emoji.value):
        return
    event = ReactionAdded if on else ReactionRemoved
    publish(
        session,
        event(
            comment_id=comment.id,
            task_id=comment.task_id,
            room_id=comment.room_id,
            author_id=comment.author_id,
            user_id=user_id,
            emoji=emoji.value,
        ),
        actor_id=user_id,
        room_id=comment.room_id,
    )


# Reads


async def list_comments(
    session: AsyncSession, *, task_id: UUID, caller_id: UUID, newest_first: bool, page: PageParams
) -> Slice[CommentView]:
    """A page of a task's comments and replies (tombstones included), as the caller sees them."""
    found = await queries.task_comments(
        session, task_id=task_id, newest_first=newest_first, page=page
    )
    shown = await views(session, found.items, caller_id=caller_id)
    return Slice(items=shown, next_cursor=found.next_cursor)


async def revisions(session: AsyncSession, *, comment: Comment) -> Sequence[CommentRevision]:
    return await queries.revisions(session, comment.id)


# Cascades, run by the event handlers.


async def forget_task(session: AsyncSession, *, task_id: UUID) -> None:
    """A deleted task takes its comments with it (the kit's replica marked it deleted
    first, in the same transaction, after the writers under it committed)."""
    await queries.delete_task_comments(session, task_id)


async def forget_room(session: AsyncSession, *, room_id: UUID) -> None:
    await queries.delete_room_comments(session, room_id)


async def forget_author(session: AsyncSession, *, user_id: UUID) -> None:
    await queries.forget_author(session, user_id)

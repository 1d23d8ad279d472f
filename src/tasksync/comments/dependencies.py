"""Typed dependencies of the comments routes, defined once."""

from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Query, Request

from tasksync.comments import service
from tasksync.comments.models import Comment
from tasksync.comments.schemas import Emoji
from tasksync.comments.service import CommentGuard
from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.errors import InvalidField
from tasksync.common.room_roles import RoomAccess, RoomRoles
from tasksync.common.task_rooms import TaskRooms, task_access


@dataclass(frozen=True, slots=True)
class CommentInRoom:
    """A comment the caller can see, with the caller's access to its room."""

    comment: Comment
    access: RoomAccess


async def _task_reader(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles, task_rooms: TaskRooms
) -> RoomAccess:
    return await task_access(
        session, roles, task_rooms, task_id=task_id, caller=caller, not_found=service.NO_TASK
    )


async def _task_writer(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles, task_rooms: TaskRooms
) -> RoomAccess:
    """As `_task_reader`, holding the task against its deletion until the write commits."""
    return await task_access(
        session,
        roles,
        task_rooms,
        task_id=task_id,
        caller=caller,
        not_found=service.NO_TASK,
        lock=True,
    )


async def _comment(
    comment_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles
) -> CommentInRoom:
    comment, access = await service.comment_access(
        session, roles, comment_id=comment_id, caller=caller
    )
    return CommentInRoom(comment=comment, access=access)


async def _locked_comment(
    comment_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles
) -> CommentInRoom:
    """As `_comment`, held against its deletion until the request commits (reactions)."""
    comment, access = await service.comment_access(
        session, roles, comment_id=comment_id, caller=caller, lock=True
    )
    return CommentInRoom(comment=comment, access=access)


async def _guard(request: Request) -> CommentGuard:
    return request.app.state.runtime


async def _emoji(emoji: str) -> Emoji:
    """An emoji of the allowed set, given as itself (`👍`) or by name (`thumbs_up`)."""
    for allowed in Emoji:
        if emoji in (allowed.value, allowed.name, allowed.value.rstrip("\ufe0f")):
            return allowed
    choices = ", ".join(f"{e.name} ({e.value})" for e in Emoji)
    raise InvalidField(f"Invalid fields: emoji (one of {choices}).")


async def _newest_first(
    order: Annotated[Literal["asc", "desc"], Query(description="`desc` for newest first")] = "asc",
) -> bool:
    return order == "desc"


TaskReader = Annotated[RoomAccess, Depends(_task_reader)]
TaskWriter = Annotated[RoomAccess, Depends(_task_writer)]
CommentDep = Annotated[CommentInRoom, Depends(_comment)]
LockedComment = Annotated[CommentInRoom, Depends(_locked_comment)]
WriteLimit = Annotated[CommentGuard, Depends(_guard)]
EmojiDep = Annotated[Emoji, Depends(_emoji)]
NewestFirst = Annotated[bool, Depends(_newest_first)]

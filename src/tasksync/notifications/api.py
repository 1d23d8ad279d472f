from uuid import UUID

from fastapi import APIRouter, status

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.pagination import Page, Paging
from tasksync.notifications import service
from tasksync.notifications.dependencies import TaskViewer, UnreadOnly
from tasksync.notifications.schemas import (
    MarkedRead,
    NotificationRead,
    PreferencesRead,
    PreferencesUpdate,
    UnreadCount,
    WatcherRead,
)

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications")
async def list_notifications(
    caller: CurrentUser, session: DbSession, paging: Paging, unread: UnreadOnly
) -> Page[NotificationRead]:
    """Your notifications, newest first (`unread=true`: only the unread ones)."""
    found = await service.inbox(session, user_id=caller.id, unread=unread, page=paging)
    return Page[NotificationRead].model_validate(found, from_attributes=True)


@router.get("/notifications/preferences")
async def get_preferences(caller: CurrentUser, session: DbSession) -> PreferencesRead:
    """What you receive of each kind, in the inbox and by e-mail, and how e-mail comes."""
    found = await service.my_preferences(session, user_id=caller.id)
    return PreferencesRead.model_validate(found, from_attributes=True)


@router.patch("/notifications/preferences")
async def change_preferences(
    body: PreferencesUpdate, caller: CurrentUser, session: DbSession
) -> PreferencesRead:
    """Change what you receive: only the kinds and fields given change."""
    kinds = {
        kind: change.model_dump(exclude_none=True) for kind, change in (body.kinds or {}).items()
    }
    found = await service.change_preferences(
        session, user_id=caller.id, kinds=kinds, email_delivery=body.email_delivery
    )
    return PreferencesRead.model_validate(found, from_attributes=True)


@router.get("/notifications/unread-count")
async def unread_count(caller: CurrentUser, session: DbSession) -> UnreadCount:
    """How many of your notifications are unread."""
    return UnreadCount(unread=await service.unread_count(session, user_id=caller.id))


@router.post("/notifications/read-all")
async def read_all(caller: CurrentUser, session: DbSession) -> MarkedRead:
    """Mark every notification of yours read."""
    return MarkedRead(marked=await service.mark_all_read(session, user_id=caller.id))


@router.post("/notifications/{notification_id}/read")
async def read_one(
    notification_id: UUID, caller: CurrentUser, session: DbSession
) -> NotificationRead:
    """Mark one of your notifications read."""
    found = await service.mark_read(session, user_id=caller.id, notification_id=notification_id)
    return NotificationRead.model_validate(found, from_attributes=True)


@router.delete("/notifications/{notification_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_notification(
    notification_id: UUID, caller: CurrentUser, session: DbSession
) -> None:
    """Delete one of your notifications."""
    await service.delete(session, user_id=caller.id, notification_id=notification_id)


@router.put("/tasks/{task_id}/watch", status_code=status.HTTP_204_NO_CONTENT)
async def watch(task_id: UUID, access: TaskViewer, session: DbSession) -> None:
    """Watch a task: hear of its comments and status changes (anyone who can see it)."""
    await service.watch(session, task_id=task_id, user_id=access.caller.id)


@router.delete("/tasks/{task_id}/watch", status_code=status.HTTP_204_NO_CONTENT)
async def unwatch(task_id: UUID, access: TaskViewer, session: DbSession) -> None:
    """Stop watching a task (its creator and assignee too)."""
    await service.unwatch(session, task_id=task_id, user_id=access.caller.id)


@router.get("/tasks/{task_id}/watchers")
async def list_watchers(task_id: UUID, _: TaskViewer, session: DbSession) -> list[WatcherRead]:
    """Who watches a task."""
    found = await service.watchers(session, task_id=task_id)
    return [WatcherRead.model_validate(w, from_attributes=True) for w in found]

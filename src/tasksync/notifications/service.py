"""Who is told what, and the inbox.

Functions take the session first and never commit: the event (or the request) is the unit of
work, so a notification is written in the transaction that records its event in the inbox,
and a redelivered event writes nothing twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.errors import NotFound
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.common.pagination import PageParams, Slice
from tasksync.contracts.notifications import NotificationCreated
from tasksync.notifications import mailing, preferences, queries
from tasksync.notifications.models import Notification, Preferences

NO_NOTIFICATION = "No such notification."


@dataclass(frozen=True)
class Occurrence:
    """What happened, for everyone it concerns: the event (or reminder) and its context."""

    event_id: UUID
    kind: str
    actor_id: UUID | None
    room_id: UUID | None
    task_id: UUID | None
    text: str


async def notify(session: AsyncSession, what: Occurrence, recipients: Iterable[UUID | None]) -> int:
    """Writes the notification of `what` for each recipient (never its actor), as each one's
    preferences say: in the inbox (announced by `notification.created`), by e-mail now, or
    kept for their digest. Returns how many were written."""
    people = [r for r in dict.fromkeys(recipients) if r is not None and r != what.actor_id]
    chosen = await queries.preferences(session, people)
    written = 0
    for user_id in people:
        prefs = chosen.get(user_id)
        choice = preferences.choice(prefs.kinds if prefs else None, what.kind)
        delivery = prefs.email_delivery if prefs else "immediate"
        emailed = choice.email and delivery != "off"
        if not (choice.in_app or emailed):
            continue
        notification_id = uuid7()
        added = await queries.add_notification(
            session,
            {
                "id": notification_id,
                "user_id": user_id,
                "event_id": what.event_id,
                "kind": what.kind,
                "room_id": what.room_id,
                "task_id": what.task_id,
                "actor_id": what.actor_id,
                "text": what.text,
                "created_at": utcnow(),
                "in_app": choice.in_app,
                "digest": "digest" if emailed and delivery != "immediate" else None,
            },
        )
        if not added:
            continue
        written += 1
        if choice.in_app:
            publish(
                session,
                NotificationCreated(
                    notification_id=notification_id,
                    user_id=user_id,
                    kind=what.kind,
                    room_id=what.room_id,
                    task_id=what.task_id,
                    text=what.text,
                ),
                actor_id=what.actor_id,
            )
        if emailed and delivery == "immediate":
            await mailing.queue_notification(
                session, user_id=user_id, notification_id=notification_id, what=what
            )
    return written


# The inbox, for its owner: someone else's notification is a 404 like a missing one.


async def inbox(
    session: AsyncSession, *, user_id: UUID, unread: bool, page: PageParams
) -> Slice[Notification]:
    return await queries.inbox_page(session, user_id=user_id, unread=unread, page=page)


async def unread_count(session: AsyncSession, *, user_id: UUID) -> int:
    return await queries.unread_count(session, user_id)


async def _mine(session: AsyncSession, *, user_id: UUID, notification_id: UUID) -> Notification:
    found = await queries.mine(session, user_id=user_id, notification_id=notification_id)
    if found is None:
        raise NotFound(NO_NOTIFICATION)
    return found


async def mark_read(session: AsyncSession, *, user_id: UUID, notification_id: UUID) -> Notification:
    found = await _mine(session, user_id=user_id, notification_id=notification_id)
    if found.read_at is None:
        found.read_at = utcnow()
    return found


async def mark_all_read(session: AsyncSession, *, user_id: UUID) -> int:
    return await queries.mark_all_read(session, user_id=user_id, now=utcnow())


async def delete(session: AsyncSession, *, user_id: UUID, notification_id: UUID) -> None:
    found = await _mine(session, user_id=user_id, notification_id=notification_id)
    await queries.delete_notification(session, found)


# Watching


async def watch(session: AsyncSession, *, task_id: UUID, user_id: UUID) -> None:
    await queries.watch(session, task_id=task_id, user_id=user_id, reason="self")


async def unwatch(session: AsyncSession, *, task_id: UUID, user_id: UUID) -> None:
    await queries.unwatch(session, task_id=task_id, user_id=user_id)


@dataclass(frozen=True)
class WatcherView:
    user_id: UUID
    username: str | None
    reason: str
    since: datetime


async def watchers(session: AsyncSession, *, task_id: UUID) -> list[WatcherView]:
    found = await queries.watchers(session, task_id)
    names = await queries.usernames(session, [w.user_id for w in found])
    return [WatcherView(w.user_id, names.get(w.user_id), w.reason, w.created_at) for w in found]


# Preferences


@dataclass(frozen=True)
class PreferencesView:
    kinds: dict[str, preferences.Choice]
    email_delivery: str


def _view(row: Preferences | None) -> PreferencesView:
    stored = row.kinds if row is not None else None
    return PreferencesView(
        kinds={kind: preferences.choice(stored, kind) for kind in preferences.KINDS},
        email_delivery=row.email_delivery if row is not None else "immediate",
    )


async def my_preferences(session: AsyncSession, *, user_id: UUID) -> PreferencesView:
    return _view(await session.get(Preferences, user_id))


async def change_preferences(
    session: AsyncSession,
    *,
    user_id: UUID,
    kinds: dict[str, dict[str, bool]],
    email_delivery: str | None,
) -> PreferencesView:
    """Applies only what is given; stores the differences from the defaults."""
    row = await session.get(Preferences, user_id, with_for_update=True)
    if row is None:
        row = Preferences(user_id=user_id, kinds={}, email_delivery="immediate")
        session.add(row)
    row.kinds = preferences.merged(row.kinds, kinds)
    if email_delivery is not None:
        row.email_delivery = email_delivery
    await session.flush()
    return _view(row)

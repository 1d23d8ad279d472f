"""Digests: for people who chose hourly or daily e-mail, what accumulated goes in one
message. A digest is due a period after the oldest notification waiting for it (and not
sooner than a period after the previous digest). The mail row is written and the
notifications marked in one transaction, with the person's preferences row locked
(`SKIP LOCKED` on PostgreSQL), so two replicas never send the same digest."""

from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.kit import runtime_of
from tasksync.notifications import mailing, queries, templates
from tasksync.notifications.models import Notification, Preferences

BATCH = 50
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
WAITING = "digest"


async def send_due(session: AsyncSession) -> int:
    """Writes the digests due now (a batch of people); returns how many."""
    now = utcnow()
    waiting = (
        select(Notification.user_id, func.min(Notification.created_at).label("oldest"))
        .where(Notification.digest == WAITING)
        .group_by(Notification.user_id)
        .subquery()
    )
    query = (
        select(Preferences, waiting.c.oldest)
        .join(waiting, waiting.c.user_id == Preferences.user_id)
        .order_by(waiting.c.oldest)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Preferences, skip_locked=True)
    sent = 0
    for prefs, oldest in (await session.execute(query)).all():
        period = PERIODS.get(prefs.email_delivery, timedelta())
        due = oldest + period
        if prefs.last_digest_at is not None:
            due = max(due, prefs.last_digest_at + period)
        if due > now:
            continue
        await _send(session, prefs)
        prefs.last_digest_at = now
        sent += 1
    return sent


async def _send(session: AsyncSession, prefs: Preferences) -> None:
    user_id: UUID = prefs.user_id
    items = list(
        (
            await session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.digest == WAITING)
                .order_by(Notification.id)
            )
        ).all()
    )
    await session.execute(
        update(Notification).where(Notification.id.in_([n.id for n in items])).values(digest="sent")
    )
    to = (await queries.addresses(session, [user_id])).get(user_id)
    if to is None or prefs.email_delivery == "off" or not items:
        return
    settings = runtime_of(session).settings
    text, html = templates.render(
        "digest",
        items=[
            {"text": n.text, "link": mailing.task_link(settings, n.room_id, n.task_id)}
            for n in items
        ],
        product=settings.product_name,
        settings_url=mailing.preferences_link(settings),
    )
    count = len(items)
    subject = f"{count} notification{'s' if count != 1 else ''}"
    mailing.queue(session, user_id=user_id, to=to, subject=subject, text=text, html=html)

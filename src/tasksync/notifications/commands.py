"""Operator commands of the notifications service, run by `tasksync notifications ...`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tasksync.common import migrations
from tasksync.common.db import Database
from tasksync.notifications.dispatch import transport_for
from tasksync.notifications.models import Base, Mail, Reminder
from tasksync.notifications.settings import NotificationsSettings

RECENT_FAILURES = 10


@dataclass
class Status:
    delivery: str
    mails: dict[str, int]
    oldest_pending: datetime | None
    retrying: int
    reminders_armed: int
    failures: list[dict[str, Any]] = field(default_factory=list)


async def status(settings: NotificationsSettings) -> Status:
    db = await Database.open(settings.database_url("notifications"))
    try:
        await migrations.upgrade(db, "tasksync.notifications", Base.metadata)
        async with db.sessionmaker() as session:
            grouped = await session.execute(select(Mail.status, func.count()).group_by(Mail.status))
            counts: dict[str, int] = dict(grouped.all())  # type: ignore[arg-type]
            oldest = await session.scalar(
                select(func.min(Mail.created_at)).where(Mail.status == "pending")
            )
            retrying = await session.scalar(
                select(func.count()).where(Mail.status == "pending", Mail.attempts > 0)
            )
            armed = await session.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.sent_at.is_(None))
            )
            failed = await session.execute(
                select(Mail.id, Mail.to_address, Mail.attempts, Mail.last_error, Mail.status)
                .where(Mail.last_error.is_not(None))
                .order_by(Mail.id.desc())
                .limit(RECENT_FAILURES)
            )
            failures = [dict(row._mapping) for row in failed]
    finally:
        await db.close()
    return Status(
        delivery=transport_for(settings).description,
        mails={name: counts.get(name, 0) for name in ("pending", "sent", "failed")},
        oldest_pending=oldest,
        retrying=retrying or 0,
        reminders_armed=armed or 0,
        failures=failures,
    )

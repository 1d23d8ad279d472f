"""The notifications consumer killed after committing an event's effects and before
acknowledging it on Redis Streams: another consumer takes the event over, and its inbox
turns the repeat into nothing: one notification and one e-mail (test_mail.py covers the
same event published three times; this is the kill)."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tasksync import stack
from tasksync.common.events.redis_streams import RedisStreamsBus, stream_name
from tasksync.contracts.tasks import TaskCreated
from tasksync.contracts.users import UserEmailVerified
from tasksync.notifications.models import Address, Mail, Notification
from tests.helpers.waiting import eventually
from tests.notifications.conftest import envelope
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)


@contextmanager
def killed_after_the_commit_that_writes_a_mail() -> Iterator[list[str]]:
    """Cancels the task that commits the first mail row, right after its commit: the
    consumer dies between writing and acknowledging. Yields what it killed."""
    killed: list[str] = []

    def flushed(session: Session, *_: Any) -> None:
        if any(isinstance(row, Mail) for row in session.new):
            session.info["mail_written"] = True

    def committed(session: Session) -> None:
        if session.info.pop("mail_written", False) and not killed:
            task = asyncio.current_task()
            assert task is not None
            killed.append(task.get_name())
            task.cancel()

    event.listen(Session, "before_flush", flushed)
    event.listen(Session, "after_commit", committed)
    try:
        yield killed
    finally:
        event.remove(Session, "before_flush", flushed)
        event.remove(Session, "after_commit", committed)


async def count(app: Any, model: Any) -> int:
    async with app.state.kit.db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_killed_between_commit_and_ack_one_notification_and_one_mail(
    settings: dict[str, Any],
) -> None:
    tia, member, room = uuid4(), uuid4(), uuid4()
    redis = Redis.from_url(settings["redis_url"])
    bus = RedisStreamsBus(redis, settings["redis_prefix"])
    tasks_stream = stream_name(settings["redis_prefix"], "tasks")
    with SmtpServer() as smtp:
        options = {**settings, **smtp.settings, "event_visibility_timeout": 0.5}
        verified = UserEmailVerified(user_id=tia, email="tia@example.org")
        await bus.publish("users", [envelope(verified, actor_id=tia).model_dump(mode="json")])
        assigned = TaskCreated(
            task_id=uuid4(),
            room_id=room,
            number=1,
            title="Once",
            status="pending",
            priority="none",
            assignee_id=tia,
            deadline=None,
            created_by=member,
        )
        first = stack.build_service("notifications", **options)
        async with first.router.lifespan_context(first):

            async def address_known() -> bool:
                async with first.state.kit.db.sessionmaker() as session:
                    return await session.get(Address, tia) is not None

            await eventually(address_known)
            with killed_after_the_commit_that_writes_a_mail() as killed:
                sent = envelope(assigned, actor_id=member, room_id=room)
                await bus.publish("tasks", [sent.model_dump(mode="json")])
                await eventually(lambda: _true(bool(killed)))
            assert killed == ["notifications-consumer"]
            pending = await redis.xpending(tasks_stream, "notifications")
            assert pending["pending"] == 1  # written, never acknowledged
            # what the consumer committed goes out: the mail (its dispatcher lives on)
            await eventually(lambda: _true(len(smtp.inbox.to("tia@example.org")) == 1))
        second = stack.build_service("notifications", **options)
        async with second.router.lifespan_context(second):

            async def taken_over() -> bool:
                return (await redis.xpending(tasks_stream, "notifications"))["pending"] == 0

            await eventually(taken_over)
            await second.state.runtime.send_mail()
            assert await count(second, Notification) == 1
            assert await count(second, Mail) == 1
        assert len(smtp.inbox.to("tia@example.org")) == 1
    await redis.aclose()


async def _true(value: bool) -> bool:
    return value

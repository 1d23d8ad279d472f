"""Deadline reminders and digests, driven by a controllable clock: each reminder once per
task and deadline, re-armed by a new deadline, cancelled by completion, caught up after a
restart, and sent once by two replicas; digests gather what accumulated into one message."""

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.common import clock
from tasksync.common.db import Database
from tasksync.common.kit import RUNTIME
from tasksync.notifications.dispatch import Dispatcher
from tasksync.notifications.models import Reminder
from tasksync.notifications.runtime import Runtime
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.stacks import AppFactory
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import (
    INBOX,
    MailStack,
    address,
    arrived,
    kinds_of,
    stored,
    told,
)


def in_hours(hours: float) -> str:
    return (clock.utcnow() + timedelta(hours=hours)).isoformat()


async def deadline_task(
    client: httpx.AsyncClient, room: RoleRoom, runtime: Runtime, hours: float
) -> dict[str, Any]:
    """A task of the member's, assigned to tia, due in `hours`; its reminders are armed."""
    task = await create_task(
        client, room.member, room.id, "Report", assignee_id=room.tia.id, deadline=in_hours(hours)
    )
    await told(client, room.tia, "assigned")
    await runtime.run_scheduled()
    return task


class TestReminders:
    async def test_one_before_the_deadline_and_one_when_it_passes_each_once(
        self, client: httpx.AsyncClient, room: RoleRoom, runtime: Runtime
    ) -> None:
        with clock.travel():
            await deadline_task(client, room, runtime, 30)
            assert await kinds_of(client, room.tia, "deadline_soon") == []
            clock.advance(timedelta(hours=7))
            await runtime.run_scheduled()
            await runtime.run_scheduled()
            (soon,) = await kinds_of(client, room.tia, "deadline_soon")
            assert soon["text"].startswith("#1 Report is due on ")
            assert await kinds_of(client, room.tia, "deadline_passed") == []
            clock.advance(timedelta(hours=24))
            await runtime.run_scheduled()
            await runtime.run_scheduled()
        assert len(await kinds_of(client, room.tia, "deadline_passed")) == 1
        assert len(await kinds_of(client, room.tia, "deadline_soon")) == 1
        # the creator is not reminded of a task assigned to someone else
        assert await kinds_of(client, room.member, "deadline_soon") == []

    async def test_a_new_deadline_re_arms_and_completion_cancels(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        runtime: Runtime,
        notifications_db: Database,
    ) -> None:
        with clock.travel():
            task = await deadline_task(client, room, runtime, 2)
            await runtime.run_scheduled()
            assert len(await kinds_of(client, room.tia, "deadline_soon")) == 1
            response = await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"deadline": in_hours(48)},
                headers=room.member.headers,
            )
            assert response.status_code == 200, response.text

            async def rearmed() -> bool:
                async with notifications_db.sessionmaker() as session:
                    armed = await session.scalars(
                        select(Reminder.deadline).where(
                            Reminder.task_id == UUID(task["id"]), Reminder.sent_at.is_(None)
                        )
                    )
                    return any(d > clock.utcnow() + timedelta(hours=40) for d in armed)

            await eventually(rearmed)
            clock.advance(timedelta(hours=30))
            await runtime.run_scheduled()
            assert len(await kinds_of(client, room.tia, "deadline_soon")) == 2
            response = await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"status": "completed"},
                headers=room.tia.headers,
            )
            assert response.status_code == 200, response.text
            await told(client, room.member, "status_changed")
            clock.advance(timedelta(days=3))
            await runtime.run_scheduled()
        assert await kinds_of(client, room.tia, "deadline_passed") == []

    async def test_two_replicas_remind_once(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        runtime: Runtime,
        notifications_app: FastAPI,
        notifications_db: Database,
    ) -> None:
        second_db = Database(notifications_db.engine.url.render_as_string(hide_password=False))
        second = replace(
            runtime,
            db=second_db,
            dispatcher=Dispatcher(second_db, runtime.settings, runtime.dispatcher.transport),
            _tasks=[],
        )
        second_db.put_in_sessions(RUNTIME, second)
        try:
            with clock.travel():
                for _ in range(3):
                    await create_task(
                        client,
                        room.member,
                        room.id,
                        "R",
                        assignee_id=room.tia.id,
                        deadline=in_hours(1),
                    )
                await told(client, room.tia, "assigned", 3)
                clock.advance(timedelta(hours=2))
                await asyncio.gather(
                    runtime.run_scheduled(),
                    second.run_scheduled(),
                    runtime.run_scheduled(),
                    second.run_scheduled(),
                )
        finally:
            await second_db.close()
        tia = UUID(room.tia.id)
        assert len(await stored(notifications_db, user_id=tia, kind="deadline_soon")) == 3
        assert len(await stored(notifications_db, user_id=tia, kind="deadline_passed")) == 3


class TestRestart:
    async def test_what_fell_due_while_stopped_is_sent_once_after_the_restart(
        self, embedded: AppFactory
    ) -> None:
        with clock.travel():
            async with embedded() as running, running.client() as client:
                room = await room_with_roles(client, await cast_of(client), "Board")
                await create_task(
                    client,
                    room.member,
                    room.id,
                    "Late",
                    assignee_id=room.tia.id,
                    deadline=in_hours(5),
                )
                await told(client, room.tia, "assigned")
            clock.advance(timedelta(days=2))
            for _ in range(2):
                async with embedded() as running, running.client() as client:
                    runtime = running.app.state.mounted["notifications"].state.runtime
                    await runtime.run_scheduled()
                    soon = await kinds_of(client, room.tia, "deadline_soon")
                    passed = await kinds_of(client, room.tia, "deadline_passed")
                    assert (len(soon), len(passed)) == (1, 1)


class TestDigests:
    async def test_a_daily_digest_gathers_everything_in_one_message(
        self, mail_stack: MailStack
    ) -> None:
        room, client, smtp, runtime = (
            mail_stack.room,
            mail_stack.client,
            mail_stack.smtp,
            mail_stack.runtime,
        )
        assert smtp is not None
        response = await client.patch(
            f"{INBOX}/preferences", json={"email_delivery": "daily"}, headers=room.tia.headers
        )
        assert response.status_code == 200
        with clock.travel():
            for title in ("One", "Two"):
                await create_task(client, room.member, room.id, title, assignee_id=room.tia.id)
            await told(client, room.tia, "assigned", 2)
            await runtime.run_scheduled()
            await runtime.send_mail()
            assert smtp.inbox.to(address(room.tia)) == []
            clock.advance(timedelta(hours=25))
            await runtime.run_scheduled()
            await runtime.run_scheduled()
            (digest,) = await eventually(lambda: arrived(smtp, room.tia, 1))
            await runtime.send_mail()
        assert "2 notifications" in str(digest["Subject"])
        text = digest.get_body(preferencelist=("plain",)).get_content()
        assert "assigned you #1 One" in text
        assert "assigned you #2 Two" in text
        assert len(smtp.inbox.to(address(room.tia))) == 1
        # the inbox still lists them
        assert len(await kinds_of(client, room.tia, "assigned")) == 2

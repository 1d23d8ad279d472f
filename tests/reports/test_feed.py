"""The read model under redelivery and disorder: the same answers whatever the order the
events came in, and however often."""

from datetime import UTC, datetime
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tasksync.common.clock import Clock
from tasksync.common.db import Database
from tasksync.contracts.rooms import RoomDeleted
from tasksync.reports.models import FlowSlot, MarkSlot, ReportTask, TaskCount, Transition
from tests.helpers.rooms import RoleRoom
from tests.reports.conftest import Feed, envelope

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def task_row(db: Database, task_id: UUID) -> ReportTask:
    async with db.sessionmaker() as session:
        found = await session.get(ReportTask, task_id)
        assert found is not None
        return found


async def transitions(db: Database, task_id: UUID) -> list[tuple[int, str]]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(Transition.version, Transition.status)
            .where(Transition.task_id == task_id)
            .order_by(Transition.version)
        )
        return [tuple(row) for row in rows]


async def flow(client: httpx.AsyncClient, room: RoleRoom) -> list[dict]:
    response = await client.get(
        f"/api/v1/rooms/{room.id}/reports/cumulative-flow",
        params={"from": "2026-03-01", "to": "2026-03-10"},
        headers=room.member.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["days"]


# (pending, in progress, completed) at the end of March 2nd-5th: a task created on the 2nd,
# started on the 3rd and completed on the 5th.
STARTED_3RD_DONE_5TH = [(1, 0, 0), (0, 1, 0), (0, 1, 0), (0, 0, 1)]


async def statuses_by_day(client: httpx.AsyncClient, room: RoleRoom) -> list[tuple[int, ...]]:
    days = await flow(client, room)
    return [(d["pending"], d["in_progress"], d["completed"]) for d in days[1:5]]


class TestOrder:
    async def test_events_in_reverse_order_give_the_same_model(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        feed: Feed,
        clock: Clock,
        reports_db: Database,
    ) -> None:
        clock.set(NOW)
        task = feed.created(at(2, 9))
        feed.moved(task, "in_progress", at(3, 9))
        feed.updated(task, at(4, 9), priority="high")
        feed.moved(task, "completed", at(5, 9))
        events = list(feed.sent)
        for sent in reversed(events):
            await feed.publish([sent])
        row = await task_row(reports_db, task)
        assert (row.status, row.priority, row.created_at) == ("completed", "high", at(2, 9))
        assert (row.started_at, row.completed_at) == (at(3, 9), at(5, 9))
        assert await transitions(reports_db, task) == [
            (1, "pending"),
            (2, "in_progress"),
            (4, "completed"),
        ]
        assert await statuses_by_day(client, room) == STARTED_3RD_DONE_5TH

    async def test_an_older_change_arriving_late_does_not_overwrite_a_newer_one(
        self, room: RoleRoom, feed: Feed, reports_db: Database
    ) -> None:
        task = feed.created(at(2, 9))
        older = feed.updated(task, at(3, 9), assignee_id=room.member.id, priority="low")
        newer = feed.updated(task, at(4, 9), assignee_id=room.admin.id)
        await feed.publish([feed.sent[0], newer])
        await feed.publish([older])
        row = await task_row(reports_db, task)
        # The assignee of version 3 stays; the priority only version 2 changed applies.
        assert (str(row.assignee_id), row.priority) == (room.admin.id, "low")

    async def test_a_redelivered_event_changes_nothing(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        feed: Feed,
        clock: Clock,
        reports_db: Database,
    ) -> None:
        clock.set(NOW)
        task = feed.created(at(2, 9))
        feed.moved(task, "completed", at(3, 9))
        events = list(feed.sent)
        await feed.publish()
        before = await flow(client, room)
        await feed.publish(events)
        await feed.publish(events[:1])
        assert await flow(client, room) == before
        assert len(await transitions(reports_db, task)) == 2

    async def test_a_deleted_task_stays_gone_when_its_changes_come_after(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        feed: Feed,
        clock: Clock,
        reports_db: Database,
    ) -> None:
        clock.set(NOW)
        task = feed.created(at(2, 9))
        late = feed.moved(task, "in_progress", at(3, 9))
        feed.deleted(task, at(4, 9))
        await feed.publish([e for e in feed.sent if e is not late])
        await feed.publish([late])
        assert (await task_row(reports_db, task)).deleted
        assert await transitions(reports_db, task) == []
        assert all(d["pending"] + d["in_progress"] == 0 for d in await flow(client, room))


async def sums_rows(db: Database, room_id: UUID) -> list[int]:
    async with db.sessionmaker() as session:
        return [
            await session.scalar(
                select(func.count()).select_from(table).where(table.room_id == room_id)
            )
            or 0
            for table in (FlowSlot, MarkSlot, TaskCount)
        ]


class TestSumsPerTransaction:
    async def test_a_room_deleted_in_the_batch_of_its_task_events_keeps_no_sums(
        self, feed: Feed, reports_app: FastAPI, reports_db: Database, clock: Clock
    ) -> None:
        clock.set(NOW)
        applier = reports_app.state.kit.events.applier
        task = feed.created(at(2, 9), deadline=at(20))
        assert await applier.apply_batch([sent.model_dump(mode="json") for sent in feed.sent])
        assert all(await sums_rows(reports_db, feed.room_id))
        moved = feed.moved(task, "completed", at(3, 9))
        gone = envelope(
            RoomDeleted(room_id=feed.room_id), at=at(4), actor_id=None, room_id=feed.room_id
        )
        assert await applier.apply_batch(
            [moved.model_dump(mode="json"), gone.model_dump(mode="json")]
        )
        assert await sums_rows(reports_db, feed.room_id) == [0, 0, 0]

    async def test_task_events_after_their_rooms_deletion_in_one_batch_add_nothing(
        self, feed: Feed, reports_app: FastAPI, reports_db: Database, clock: Clock
    ) -> None:
        clock.set(NOW)
        applier = reports_app.state.kit.events.applier
        task = feed.created(at(2, 9), deadline=at(20))
        assert await applier.apply_batch([sent.model_dump(mode="json") for sent in feed.sent])
        room_id = feed.room_id
        gone = envelope(RoomDeleted(room_id=room_id), at=at(3), actor_id=None, room_id=room_id)
        moved = feed.moved(task, "completed", at(4, 9))
        batch = [gone.model_dump(mode="json"), moved.model_dump(mode="json")]
        assert await applier.apply_batch(batch)
        assert await sums_rows(reports_db, room_id) == [0, 0, 0]
        assert (await task_row(reports_db, task)).deleted
        assert await transitions(reports_db, task) == []

    async def test_several_events_of_one_task_in_one_batch_build_on_each_other(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        feed: Feed,
        reports_app: FastAPI,
        reports_db: Database,
        clock: Clock,
    ) -> None:
        clock.set(NOW)
        task = feed.created(at(2, 9))
        feed.moved(task, "in_progress", at(3, 9))
        feed.moved(task, "completed", at(5, 9))
        applier = reports_app.state.kit.events.applier
        assert await applier.apply_batch([sent.model_dump(mode="json") for sent in feed.sent])
        row = await task_row(reports_db, task)
        assert (row.status, row.started_at, row.completed_at) == ("completed", at(3, 9), at(5, 9))
        assert await transitions(reports_db, task) == [
            (1, "pending"),
            (2, "in_progress"),
            (3, "completed"),
        ]
        assert await statuses_by_day(client, room) == STARTED_3RD_DONE_5TH

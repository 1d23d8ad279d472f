"""The kit's task replica on a real database, with a real HTTP peer standing in for the tasks
service: what its events do, what a miss asks, and why a deleted task stays deleted."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI, Header, Response
from sqlalchemy import select

from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database, model_base
from tasksync.common.errors import ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.ids import uuid7
from tasksync.common.settings import ServiceLinkSettings
from tasksync.common.task_rooms import ReplicatedTaskRooms, TaskRoomReplica
from tasksync.contracts.events import Envelope, EventData
from tasksync.contracts.rooms import RoomDeleted
from tasksync.contracts.tasks import TaskCreated, TaskDeleted
from tests.helpers.servers import running_server

ROOM, OTHER_ROOM, ANN = uuid7(), uuid7(), uuid7()


class TasksPeer:
    """A tasks service on loopback that knows some tasks and counts the questions."""

    def __init__(self) -> None:
        self.rooms: dict[UUID, UUID] = {}
        self.asked: list[tuple[UUID, str]] = []
        self.failing = False
        self.app = FastAPI()
        self.app.add_api_route("/api/v1/tasks/{task_id}", self.task)

    async def task(
        self, task_id: UUID, response: Response, authorization: str = Header("")
    ) -> dict[str, Any]:
        self.asked.append((task_id, authorization))
        if self.failing:
            response.status_code = 500
            return {}
        if task_id not in self.rooms:
            response.status_code = 404
            return {}
        return {"id": str(task_id), "room_id": str(self.rooms[task_id])}


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[tuple[TaskRoomReplica, Database]]:
    replica = TaskRoomReplica(model_base().metadata)
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'task_rooms.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(replica.table.metadata.create_all)
    yield replica, db
    await db.close()


@pytest.fixture
async def tasks() -> AsyncIterator[tuple[TasksPeer, ServiceDirectory]]:
    peer = TasksPeer()
    async with running_server(peer.app, lifespan="off") as url:
        directory = ServiceDirectory(ServiceLinkSettings(service_urls={"tasks": url}))
        yield peer, directory
        await directory.close()


async def _apply(replica: TaskRoomReplica, db: Database, data: EventData) -> None:
    envelope = Envelope(
        id=uuid7(),
        type=data.type_name,
        version=data.version,
        occurred_at=datetime.now(UTC),
        producer=data.producer,
        data=data.model_dump(mode="json"),
    )
    async with db.sessionmaker.begin() as session:
        for handler in replica.handlers.for_type(data.type_name):
            await handler(session, Event(envelope, data))


def _created(task_id: UUID, room_id: UUID = ROOM) -> TaskCreated:
    return TaskCreated(
        task_id=task_id,
        room_id=room_id,
        number=1,
        title="t",
        status="pending",
        priority="none",
        assignee_id=None,
        deadline=None,
        created_by=ANN,
    )


async def _room_of(source: ReplicatedTaskRooms, db: Database, task_id: UUID) -> UUID | None:
    async with db.sessionmaker.begin() as session:
        return await source.room_of(session, task_id=task_id, token="ann-token", lock=True)


async def _rows(replica: TaskRoomReplica, db: Database) -> dict[UUID, tuple[UUID, bool]]:
    c = replica.table.c
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(c.task_id, c.room_id, c.deleted_at))
        return {row.task_id: (row.room_id, row.deleted_at is not None) for row in rows}


class TestEvents:
    async def test_tasks_come_and_go_with_the_tasks_and_rooms_events(self, replica: Any) -> None:
        table, db = replica
        one, two, three = uuid7(), uuid7(), uuid7()
        await _apply(table, db, _created(one))
        await _apply(table, db, _created(two))
        await _apply(table, db, _created(three, OTHER_ROOM))
        await _apply(table, db, TaskDeleted(task_id=one, room_id=ROOM, number=1))
        assert await _rows(table, db) == {
            one: (ROOM, True),
            two: (ROOM, False),
            three: (OTHER_ROOM, False),
        }
        await _apply(table, db, RoomDeleted(room_id=OTHER_ROOM))
        assert (await _rows(table, db))[three] == (OTHER_ROOM, True)

    async def test_a_late_created_event_does_not_revive_a_deleted_task(self, replica: Any) -> None:
        table, db = replica
        task = uuid7()
        await _apply(table, db, TaskDeleted(task_id=task, room_id=ROOM, number=1))
        await _apply(table, db, _created(task))
        assert await _rows(table, db) == {task: (ROOM, True)}

    async def test_tombstones_are_pruned_after_the_retention(self, replica: Any) -> None:
        table, db = replica
        gone, alive = uuid7(), uuid7()
        await _apply(table, db, _created(alive))
        await _apply(table, db, TaskDeleted(task_id=gone, room_id=ROOM, number=1))
        async with db.sessionmaker.begin() as session:
            await table.forget_tombstones(session, timedelta(days=1))
        assert set(await _rows(table, db)) == {gone, alive}
        async with db.sessionmaker.begin() as session:
            await table.forget_tombstones(session, timedelta(seconds=-1))
        assert set(await _rows(table, db)) == {alive}


class TestMisses:
    async def test_a_known_task_is_answered_without_asking(self, replica: Any, tasks: Any) -> None:
        (table, db), (peer, directory) = replica, tasks
        task = uuid7()
        await _apply(table, db, _created(task))
        source = table.source(directory.client("tasks"))
        assert await _room_of(source, db, task) == ROOM
        assert peer.asked == []

    async def test_a_miss_asks_tasks_with_the_callers_token_and_keeps_the_answer(
        self, replica: Any, tasks: Any
    ) -> None:
        (table, db), (peer, directory) = replica, tasks
        task = uuid7()
        peer.rooms[task] = ROOM
        source = table.source(directory.client("tasks"))
        assert await _room_of(source, db, task) == ROOM
        assert await _room_of(source, db, task) == ROOM
        assert peer.asked == [(task, "Bearer ann-token")]
        assert await _rows(table, db) == {task: (ROOM, False)}

    async def test_a_task_tasks_does_not_show_is_none_and_nothing_is_kept(
        self, replica: Any, tasks: Any
    ) -> None:
        (table, db), (peer, directory) = replica, tasks
        source = table.source(directory.client("tasks"))
        outsiders_task = uuid7()
        assert await _room_of(source, db, outsiders_task) is None
        assert peer.asked == [(outsiders_task, "Bearer ann-token")]
        assert await _rows(table, db) == {}

    async def test_a_deleted_task_is_none_even_if_tasks_still_answered_for_it(
        self, replica: Any, tasks: Any
    ) -> None:
        (table, db), (peer, directory) = replica, tasks
        task = uuid7()
        peer.rooms[task] = ROOM  # an answer given before the deletion reached tasks' reads
        await _apply(table, db, TaskDeleted(task_id=task, room_id=ROOM, number=1))
        source = table.source(directory.client("tasks"))
        assert await _room_of(source, db, task) is None
        assert peer.asked == []

    async def test_tasks_failing_is_503(self, replica: Any, tasks: Any) -> None:
        (table, db), (peer, directory) = replica, tasks
        peer.failing = True
        source = table.source(directory.client("tasks"))
        with pytest.raises(ServiceUnavailable):
            await _room_of(source, db, uuid7())

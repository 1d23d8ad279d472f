"""Rebuilding the read model from the tasks service gives the answers the event-fed model
gave; it happens by itself when the model is empty and tasks exist; the tasks service's
snapshot is served to internal callers only."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.common.clock import Clock, utcnow
from tasksync.common.db import Database
from tasksync.reports import queries, rebuild
from tasksync.reports.commands import empty
from tasksync.reports.models import ReportTask
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually

ROUTES = (
    "summary",
    "cumulative-flow",
    "burndown",
    "throughput",
    "cycle-time",
    "lead-time",
    "workload",
)


async def change(client: httpx.AsyncClient, room: RoleRoom, task: dict, **fields: Any) -> None:
    response = await client.patch(
        f"/api/v1/tasks/{task['id']}", json=fields, headers=room.member.headers
    )
    assert response.status_code == 200, response.text


async def answers(client: httpx.AsyncClient, room: RoleRoom) -> dict[str, Any]:
    today = utcnow().date()
    window = {"from": str(today - timedelta(days=2)), "to": str(today + timedelta(days=1))}
    found = {}
    for route in ROUTES:
        response = await client.get(
            f"/api/v1/rooms/{room.id}/reports/{route}", params=window, headers=room.member.headers
        )
        assert response.status_code == 200, response.text
        found[route] = response.json()
    me = await client.get("/api/v1/reports/me", headers=room.member.headers)
    found["me"] = me.json()
    return found


async def model_size(db: Database) -> int:
    async with db.sessionmaker() as session:
        return len((await session.scalars(select(ReportTask.id))).all())


async def a_room_of_tasks(client: httpx.AsyncClient, room: RoleRoom, db: Database) -> None:
    soon = (utcnow() + timedelta(days=3)).isoformat()
    await create_task(client, room.member, room.id, "Waiting")
    started = await create_task(client, room.member, room.id, "Started", priority="high")
    done = await create_task(client, room.member, room.id, "Done", assignee_id=room.member.id)
    await create_task(client, room.member, room.id, "Born busy", status="in_progress")
    await create_task(client, room.member, room.id, "Due", deadline=soon, assignee_id=room.tia.id)
    gone = await create_task(client, room.member, room.id, "Gone")
    await change(client, room, started, status="in_progress")
    await change(client, room, done, status="in_progress")
    await change(client, room, done, status="completed")
    response = await client.delete(f"/api/v1/tasks/{gone['id']}", headers=room.member.headers)
    assert response.status_code == 204

    async def fed() -> bool:
        response = await client.get(
            f"/api/v1/rooms/{room.id}/reports/summary", headers=room.member.headers
        )
        return response.json()["by_status"] == {"pending": 2, "in_progress": 2, "completed": 1}

    await eventually(fed)


class TestRebuild:
    async def test_the_rebuilt_model_answers_as_the_event_fed_one(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        reports_app: FastAPI,
        reports_db: Database,
        clock: Clock,
    ) -> None:
        await a_room_of_tasks(client, room, reports_db)
        clock.set(utcnow() + timedelta(hours=1))
        fed = await answers(client, room)
        assert fed["summary"]["total"] == 5
        tasks = reports_app.state.kit.services.client("tasks")
        count = await rebuild.rebuild(reports_db, tasks, reports_app.state.settings)
        assert count == 5
        async with reports_db.sessionmaker() as session:
            rows = (await session.scalars(select(ReportTask))).all()
        assert all(rebuild.feed.REBUILT in row.versions for row in rows)
        assert await answers(client, room) == fed

    async def test_an_empty_model_rebuilds_itself_when_tasks_exist(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        reports_app: FastAPI,
        reports_db: Database,
        clock: Clock,
    ) -> None:
        await a_room_of_tasks(client, room, reports_db)
        clock.set(utcnow() + timedelta(hours=1))
        fed = await answers(client, room)
        await empty(reports_db)
        assert await model_size(reports_db) == 0
        await rebuild.when_empty(reports_app.state.kit, reports_app.state.runtime)
        assert await model_size(reports_db) == 5
        assert await answers(client, room) == fed

    async def test_events_older_than_the_rebuild_add_nothing(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        reports_app: FastAPI,
        reports_db: Database,
        clock: Clock,
    ) -> None:
        await a_room_of_tasks(client, room, reports_db)
        clock.set(utcnow() + timedelta(hours=1))
        tasks = reports_app.state.kit.services.client("tasks")
        await rebuild.rebuild(reports_db, tasks, reports_app.state.settings)
        rebuilt = await answers(client, room)
        # The whole history again, as a redelivery after the rebuild would bring it (new ids).
        async with reports_db.sessionmaker.begin() as session:
            for row in (await session.scalars(select(ReportTask))).all():
                await rebuild.feed.task_updated(
                    session,
                    task_id=row.id,
                    room_id=row.room_id,
                    number=row.number,
                    version=1,
                    changes={"status": "pending", "priority": "urgent"},
                    at=utcnow(),
                )
            await rebuild.feed.write_sums(session)
        assert await answers(client, room) == rebuilt

    async def test_a_row_left_by_an_update_without_its_creation_is_rebuilt_whole(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        reports_app: FastAPI,
        reports_db: Database,
        clock: Clock,
    ) -> None:
        await a_room_of_tasks(client, room, reports_db)
        clock.set(utcnow() + timedelta(hours=1))
        fed = await answers(client, room)
        async with reports_db.sessionmaker() as session:
            row = (await session.scalars(select(ReportTask).limit(1))).one()
        await empty(reports_db)
        # An update whose task's creation the emptied model no longer has.
        async with reports_db.sessionmaker.begin() as session:
            await rebuild.feed.task_updated(
                session,
                task_id=row.id,
                room_id=row.room_id,
                number=row.number,
                version=1,
                changes={"title": "Renamed"},
                at=utcnow(),
            )
            await rebuild.feed.write_sums(session)
        # The rebuild's page lands after it (the model was emptied before the update came).
        tasks = reports_app.state.kit.services.client("tasks")
        page = await rebuild._page(tasks, after=None, limit=100, token=None)
        built = [rebuild.rows_of(item) for item in page["items"]]
        async with reports_db.sessionmaker.begin() as session:
            await queries.add_rebuilt(
                session, [row for row, _ in built], [m for _, moves in built for m in moves]
            )
        assert await answers(client, room) == fed


class TestSnapshot:
    async def test_only_internal_callers_read_the_tasks_snapshot(
        self, stack_app: FastAPI, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await create_task(client, room.member, room.id, "One")
        tasks_app = stack_app.state.mounted["tasks"]

        def caller(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=tasks_app, client=(address, 40000))
            return httpx.AsyncClient(transport=transport, base_url="http://tasks")

        async with caller("203.0.113.7") as outside:
            response = await outside.get(rebuild.SNAPSHOT, headers=room.owner.headers)
            assert response.status_code == 404
        async with caller("127.0.0.1") as inside:
            response = await inside.get(rebuild.SNAPSHOT, params={"limit": 1})
            assert response.status_code == 200
            assert [item["title"] for item in response.json()["items"]] == ["One"]
        # The gateway routes no internal path.
        assert (await client.get(rebuild.SNAPSHOT)).status_code == 404

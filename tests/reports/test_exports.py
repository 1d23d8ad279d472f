"""Exports in the background: queued, run, downloaded as CSV and XLSX with formulas
neutralised; one unfinished export per member per room; jobs that survive a restart; files
that expire."""

import csv
import io
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from tasksync import stack
from tasksync.common.clock import Clock, utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.reports.exports import forget_expired_exports
from tasksync.reports.models import ExportJob
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.stacks import AppFactory
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually

FORMULA = '=HYPERLINK("http://evil.example","click")'


def exports_path(room: RoleRoom) -> str:
    return f"/api/v1/rooms/{room.id}/reports/exports"


async def tasks_known(client: httpx.AsyncClient, room: RoleRoom, count: int) -> None:
    async def known() -> bool:
        response = await client.get(
            f"/api/v1/rooms/{room.id}/reports/summary", headers=room.member.headers
        )
        return response.json()["total"] == count

    await eventually(known)


async def finished(client: httpx.AsyncClient, room: RoleRoom, job: dict[str, Any]) -> dict:
    async def done() -> dict | None:
        response = await client.get(
            f"{exports_path(room)}/{job['id']}", headers=room.member.headers
        )
        assert response.status_code == 200, response.text
        found = response.json()
        return found if found["state"] in ("done", "failed") else None

    return await eventually(done)


async def export(client: httpx.AsyncClient, room: RoleRoom, **body: Any) -> dict[str, Any]:
    response = await client.post(exports_path(room), json=body, headers=room.member.headers)
    assert response.status_code == 202, response.text
    return response.json()


async def count_jobs(db: Database) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(ExportJob)) or 0


@pytest.fixture
async def tasks(client: httpx.AsyncClient, room: RoleRoom) -> None:
    await create_task(client, room.member, room.id, FORMULA)
    await create_task(client, room.member, room.id, "Plain", priority="high")
    await tasks_known(client, room, 2)


class TestDownload:
    async def test_a_member_downloads_a_csv_export_with_formulas_neutralised(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks: None
    ) -> None:
        job = await export(client, room, kind="tasks", format="csv")
        assert (job["state"], job["download_url"]) == ("queued", None)
        done = await finished(client, room, job)
        assert done["state"] == "done"
        response = await client.get(done["download_url"], headers=room.member.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [row["title"] for row in rows] == ["'" + FORMULA, "Plain"]
        assert [row["priority"] for row in rows] == ["none", "high"]

    async def test_an_xlsx_export_holds_text_where_a_formula_was_asked_for(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks: None
    ) -> None:
        done = await finished(client, room, await export(client, room, kind="tasks", format="xlsx"))
        response = await client.get(done["download_url"], headers=room.member.headers)
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("number", "title", "status")
        assert rows[1][:3] == (1, "'" + FORMULA, "pending")
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    async def test_activity_and_flow_exports(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks: None, clock: Clock
    ) -> None:
        activity = await finished(
            client, room, await export(client, room, kind="activity", format="csv")
        )
        text = (await client.get(activity["download_url"], headers=room.member.headers)).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(row["number"], row["status"]) for row in rows] == [
            ("1", "pending"),
            ("2", "pending"),
        ]
        today = utcnow().date()
        flow = await finished(
            client,
            room,
            await export(
                client, room, kind="flow", format="csv", **{"from": str(today), "to": str(today)}
            ),
        )
        text = (await client.get(flow["download_url"], headers=room.member.headers)).text
        assert list(csv.reader(io.StringIO(text))) == [
            ["date", "pending", "in_progress", "completed"],
            [str(today), "2", "0", "0"],
        ]


class TestRules:
    async def test_one_unfinished_export_per_member_per_room(
        self, client: httpx.AsyncClient, room: RoleRoom, reports_db: Database
    ) -> None:
        """A job another worker is running (its lease still runs) blocks a second one."""
        async with reports_db.sessionmaker.begin() as session:
            await session.execute(
                insert(ExportJob).values(job_row(room, state="running", lease=timedelta(hours=1)))
            )
        response = await client.post(
            exports_path(room), json={"kind": "tasks", "format": "csv"}, headers=room.member.headers
        )
        assert_problem(response, 409)
        # Someone else in the room is not blocked.
        other = await client.post(
            exports_path(room), json={"kind": "tasks", "format": "csv"}, headers=room.admin.headers
        )
        assert other.status_code == 202

    async def test_a_job_is_its_requesters_only(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks: None
    ) -> None:
        done = await finished(client, room, await export(client, room, kind="tasks", format="csv"))
        for role in ("owner", "admin", "tia", "outsider"):
            person = room.by_role(role) if role != "outsider" else room.outsider
            status = await client.get(f"{exports_path(room)}/{done['id']}", headers=person.headers)
            assert_problem(status, 404)
            assert_problem(await client.get(done["download_url"], headers=person.headers), 404)
        assert_problem(await client.get(done["download_url"], headers=room.viewer.headers), 403)

    async def test_viewers_and_outsiders_cannot_export(
        self, client: httpx.AsyncClient, room: RoleRoom, reports_db: Database
    ) -> None:
        body = {"kind": "tasks", "format": "csv"}
        assert_problem(
            await client.post(exports_path(room), json=body, headers=room.viewer.headers), 403
        )
        assert_problem(
            await client.post(exports_path(room), json=body, headers=room.outsider.headers), 404
        )
        assert_problem(await client.post(exports_path(room), json=body), 401)
        assert await count_jobs(reports_db) == 0

    @pytest.mark.only_backend("sqlite")  # validation, before any query
    async def test_bad_requests_are_422_and_queue_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom, reports_db: Database
    ) -> None:
        for body in [
            {"kind": "everything", "format": "csv"},
            {"kind": "tasks", "format": "pdf"},
            {"kind": "tasks"},
            {"kind": "tasks", "format": "csv", "colour": "red"},
            {"kind": "flow", "format": "csv", "tz": "Nowhere/Town"},
            {"kind": "flow", "format": "csv", "from": "2020-01-01", "to": "2026-01-01"},
        ]:
            response = await client.post(exports_path(room), json=body, headers=room.member.headers)
            assert response.status_code == 422, body
            assert_problem(response, 422)
        assert await count_jobs(reports_db) == 0

    async def test_finished_files_expire_after_a_day(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        tasks: None,
        reports_app: FastAPI,
        clock: Clock,
    ) -> None:
        done = await finished(client, room, await export(client, room, kind="tasks", format="csv"))
        db: Database = reports_app.state.kit.db
        settings = reports_app.state.settings
        clock.set(utcnow() + timedelta(hours=23))
        async with db.sessionmaker.begin() as session:
            await forget_expired_exports(session, settings)
        ok = await client.get(done["download_url"], headers=room.member.headers)
        assert ok.status_code == 200
        clock.set(utcnow() + timedelta(hours=25))
        async with db.sessionmaker.begin() as session:
            await forget_expired_exports(session, settings)
        assert_problem(await client.get(done["download_url"], headers=room.member.headers), 404)
        assert await count_jobs(db) == 0


def job_row(
    room: RoleRoom, *, state: str, lease: timedelta, requested_by: str | None = None
) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "room_id": UUID(room.id),
        "requested_by": UUID(requested_by or room.member.id),
        "kind": "tasks",
        "format": "csv",
        "options": {"tz": "UTC", "from": "2026-01-01", "to": "2026-01-30"},
        "state": state,
        "attempts": 1 if state == "running" else 0,
        "lease_until": utcnow() + lease if state == "running" else None,
        "created_at": utcnow(),
    }


class TestRestart:
    async def test_jobs_left_by_a_killed_worker_run_after_a_restart(
        self, settings: dict[str, Any], embedded: AppFactory
    ) -> None:
        async with embedded() as running, running.client() as client:
            room = await room_with_roles(client, await cast_of(client), "Board")
            await create_task(client, room.member, room.id, "Survivor")
            await tasks_known(client, room, 1)
        # Stopped: one job queued (never picked up) and one a killed worker was running.
        queued = job_row(room, state="queued", lease=timedelta())
        killed = job_row(
            room, state="running", lease=-timedelta(minutes=1), requested_by=room.admin.id
        )
        async with (
            stack.migrated_database("reports", **settings) as stopped,
            stopped.sessionmaker.begin() as session,
        ):
            await session.execute(insert(ExportJob).values([queued, killed]))
        async with embedded() as running, running.client() as client:
            for job, person in ((queued, room.member), (killed, room.admin)):

                async def done(job: dict = job, person: Any = person) -> dict | None:
                    response = await client.get(
                        f"{exports_path(room)}/{job['id']}", headers=person.headers
                    )
                    found = response.json()
                    return found if found["state"] == "done" else None

                found = await eventually(done)
                text = (await client.get(found["download_url"], headers=person.headers)).text
                assert "Survivor" in text

"""The reports service in distributed mode: each service behind its own HTTP server on
PostgreSQL, events on Redis Streams. A member reads reports in JSON and CSV, downloads an
XLSX export; a rebuild reads the tasks service over HTTP."""

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tasksync import stack
from tasksync.reports.commands import rebuild_from_tasks
from tests.helpers.builders import signed_up
from tests.helpers.distributed import distributed_stack
from tests.helpers.rooms import create_room, join
from tests.helpers.servers import running_server
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually

pytestmark = pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)
SERVICES = ("users", "rooms", "tasks", "reports")


async def test_reports_and_an_xlsx_export_over_http(settings: dict[str, Any]) -> None:
    async with (
        distributed_stack(settings, *SERVICES) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        owner = await signed_up(client, "owner_person")
        member = await signed_up(client, "member_person")
        room = await create_room(client, owner, "Board")
        await join(client, member, room["code"])
        await create_task(client, member, room["id"], "=1+1")
        await create_task(client, member, room["id"], "Two", status="completed")
        reports = f"/api/v1/rooms/{room['id']}/reports"

        async def counted() -> dict | None:
            response = await client.get(f"{reports}/summary", headers=member.headers)
            assert response.status_code == 200, response.text
            found = response.json()
            return found if found["total"] == 2 else None

        summary = await eventually(counted)
        assert summary["by_status"] == {"pending": 1, "in_progress": 0, "completed": 1}
        flow = await client.get(
            f"{reports}/cumulative-flow", params={"format": "csv"}, headers=member.headers
        )
        rows = list(csv.reader(io.StringIO(flow.text)))
        assert rows[-1][1:] == ["1", "0", "1"]

        job = await client.post(
            f"{reports}/exports", json={"kind": "tasks", "format": "xlsx"}, headers=member.headers
        )
        assert job.status_code == 202, job.text

        async def done() -> dict | None:
            found = await client.get(
                f"{reports}/exports/{job.json()['id']}", headers=member.headers
            )
            return found.json() if found.json()["state"] == "done" else None

        finished = await eventually(done)
        file = await client.get(finished["download_url"], headers=member.headers)
        sheet = load_workbook(io.BytesIO(file.content)).active
        assert sheet is not None
        titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert titles == ["'=1+1", "Two"]


async def test_a_rebuild_reads_the_tasks_service_over_http(settings: dict[str, Any]) -> None:
    """`tasksync reports rebuild` in distributed mode: the snapshot comes from a tasks
    server at its address (a second replica here), and the answers stay the same."""
    async with (
        distributed_stack(settings, *SERVICES) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        owner = await signed_up(client, "owner_person")
        room = await create_room(client, owner, "Board")
        for n in range(3):
            await create_task(client, owner, room["id"], f"Task {n}", status="in_progress")
        summary = f"/api/v1/rooms/{room['id']}/reports/summary"

        async def fed() -> dict | None:
            found = (await client.get(summary, headers=owner.headers)).json()
            return found if found["total"] == 3 else None

        before = await eventually(fed)
        async with running_server(stack.build_service("tasks", **settings)) as tasks_url:
            reports = stack.settings_for("reports", **settings, service_urls={"tasks": tasks_url})
            async with stack.migrated_database("reports", **settings) as db:
                assert await rebuild_from_tasks(db, reports) == 3
        after = (await client.get(summary, headers=owner.headers)).json()
        assert {**after, "as_of": None} == {**before, "as_of": None}

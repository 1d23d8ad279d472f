"""Exports in the background: a job table in the service's own database (so jobs survive a
restart), a worker in each process that claims jobs under a lease, and files kept in the job
row until they expire.

- a member has at most one unfinished (queued or running) export per room: a second is 409,
  and a unique index holds the rule under concurrent requests;
- a worker that dies mid-job leaves it `running` under a lease; once the lease runs out,
  any worker (after a restart, its own) runs it again;
- cells that a spreadsheet would take for a formula are neutralised in CSV and XLSX alike;
- a finished job and its file are deleted `reports_export_ttl_hours` after they were made.
"""

import asyncio
import contextlib
import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import structlog
from openpyxl import Workbook
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.db import Database, after_commit
from tasksync.common.errors import Conflict, NotFound
from tasksync.common.ids import uuid7
from tasksync.common.kit import runtime_of
from tasksync.common.room_roles import RoomAccess
from tasksync.common.settings import ServiceSettings
from tasksync.reports import queries, render, service
from tasksync.reports.dependencies import days_between, zone_named
from tasksync.reports.figures import local_day
from tasksync.reports.models import ExportJob
from tasksync.reports.runtime import ReportsRuntime
from tasksync.reports.schemas import ExportCreate, ExportRead

log = structlog.get_logger("tasksync.reports.exports")
MEDIA_TYPES = {
    "csv": render.CSV_MEDIA_TYPE,
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NO_EXPORT = "No such export of yours in this room."
ONE_AT_A_TIME = "You have an export of this room that has not finished; wait for it."
TASK_COLUMNS = [
    "number",
    "title",
    "status",
    "priority",
    "assignee_id",
    "labels",
    "deadline",
    "created_at",
    "started_at",
    "completed_at",
]
ACTIVITY_COLUMNS = ["number", "title", "status", "at"]
FLOW_COLUMNS = ["date", "pending", "in_progress", "completed"]


def download_url(job: ExportJob) -> str:
    return f"/api/v1/rooms/{job.room_id}/reports/exports/{job.id}/file"


def read(job: ExportJob) -> ExportRead:
    return ExportRead(
        id=job.id,
        kind=job.kind,
        format=job.format,
        state=job.state,  # type: ignore[arg-type]
        created_at=job.created_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        error=job.error,
        download_url=download_url(job) if job.state == "done" else None,
    )


async def queue(
    session: AsyncSession, runtime: ReportsRuntime, *, access: RoomAccess, request: ExportCreate
) -> ExportJob:
    """A queued job (checked first: a bad zone or range is a 422, not a failed job)."""
    zone = zone_named(request.tz)
    now = runtime.clock.now()
    days = days_between(
        request.first,
        request.last,
        zone=zone,
        today=local_day(now, zone),
        max_days=runtime.settings.reports_max_days,
    )
    if await queries.active_job(session, room_id=access.room_id, requested_by=access.caller.id):
        raise Conflict(ONE_AT_A_TIME)
    job_id = uuid7()
    values = {
        "id": job_id,
        "room_id": access.room_id,
        "requested_by": access.caller.id,
        "kind": request.kind,
        "format": request.format,
        "options": {"tz": request.tz, "from": days.first.isoformat(), "to": days.last.isoformat()},
        "state": "queued",
        "attempts": 0,
        "created_at": now,
    }
    try:
        async with session.begin_nested():
            await queries.add_job(session, values)
    except IntegrityError:
        raise Conflict(ONE_AT_A_TIME) from None

    async def wake() -> None:
        runtime.wake.set()

    after_commit(session, wake)
    job = await queries.job(session, job_id, room_id=access.room_id)
    assert job is not None
    return job


async def find(session: AsyncSession, *, access: RoomAccess, job_id: UUID) -> ExportJob:
    """One of the caller's jobs in the room; anyone else's is 404."""
    job = await queries.job(session, job_id, room_id=access.room_id)
    if job is None or job.requested_by != access.caller.id:
        raise NotFound(NO_EXPORT)
    return job


async def finished(session: AsyncSession, *, access: RoomAccess, job_id: UUID) -> ExportJob:
    job = await find(session, access=access, job_id=job_id)
    if job.state != "done" or job.content is None:
        raise NotFound("That export has no file (yet, or any more).")
    return job


# Writing the file.


async def table(session: AsyncSession, job: ExportJob) -> tuple[list[str], list[Sequence[Any]]]:
    if job.kind == "tasks":
        return TASK_COLUMNS, [list(row) for row in await queries.task_rows(session, job.room_id)]
    if job.kind == "activity":
        rows = await queries.transition_rows(session, job.room_id)
        return ACTIVITY_COLUMNS, [list(row) for row in rows]
    options = job.options
    days = days_between(
        date.fromisoformat(options["from"]),
        date.fromisoformat(options["to"]),
        zone=zone_named(options["tz"]),
        today=date.max,
        max_days=10**6,
    )
    found = await service.cumulative_flow(session, room_id=job.room_id, days=days)
    return FLOW_COLUMNS, render.dict_rows(found, FLOW_COLUMNS)


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A one-sheet workbook, written as a stream (its memory does not grow per cell)."""
    book = Workbook(write_only=True)
    page = book.create_sheet(sheet)
    page.append(list(header))
    for row in rows:
        page.append([render.cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_of(job: ExportJob, header: list[str], rows: list[Sequence[Any]]) -> tuple[str, bytes]:
    name = f"tasksync-{job.kind}-{job.created_at:%Y%m%d}.{job.format}"
    if job.format == "xlsx":
        return name, xlsx_bytes(job.kind, header, rows)
    return name, render.csv_text(header, rows).encode()


# The worker.


async def run_one(db: Database, runtime: ReportsRuntime) -> bool:
    """Claims and runs one job; False when there was none to run."""
    settings = runtime.settings
    now = runtime.clock.now()
    lease = now + timedelta(seconds=settings.reports_export_lease_seconds)
    async with db.sessionmaker.begin() as session:
        job = await queries.claim_job(session, now=now, lease_until=lease)
        if job is None:
            return False
        session.expunge(job)
    try:
        async with db.sessionmaker() as session:
            header, rows = await table(session, job)
        name, content = file_of(job, header, rows)
        done = runtime.clock.now()
        outcome: dict[str, Any] = {
            "state": "done",
            "filename": name,
            "content": content,
            "finished_at": done,
            "expires_at": done + timedelta(hours=settings.reports_export_ttl_hours),
            "lease_until": None,
        }
    except Exception as exc:
        log.warning("export_failed", job_id=str(job.id), error=str(exc))
        done = runtime.clock.now()
        outcome = {
            "state": "failed",
            "error": "The export could not be made; ask for it again.",
            "finished_at": done,
            "lease_until": None,
            "expires_at": done + timedelta(hours=settings.reports_export_ttl_hours),
        }
    async with db.sessionmaker.begin() as session:
        await queries.finish_job(session, job.id, outcome)
    return True


async def work(db: Database, runtime: ReportsRuntime) -> None:
    """Runs jobs as they come, until cancelled; looks every poll interval when not woken."""
    while True:
        try:
            while await run_one(db, runtime):
                pass
        except Exception as exc:  # the database away for a moment: try again at the next look
            log.warning("export_worker_failed", error=str(exc))
        runtime.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                runtime.wake.wait(), timeout=runtime.settings.reports_export_poll_interval
            )


async def forget_expired_exports(session: AsyncSession, settings: ServiceSettings) -> None:
    """Housekeeping: finished jobs past their expiry go, with their files."""
    runtime = runtime_of(session)
    assert isinstance(runtime, ReportsRuntime)
    await queries.delete_expired(session, runtime.clock.now())

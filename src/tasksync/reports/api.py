"""Routes of the reports service: thin. Each report answers JSON, or CSV with `?format=csv`;
the room's members and up read them, outsiders get 404."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.room_roles import RoomMember, RoomViewer
from tasksync.reports import exports, render, service
from tasksync.reports.dependencies import DayRange, OutputFormat, Runtime, Zone
from tasksync.reports.schemas import (
    BurndownRead,
    DashboardRead,
    ExportCreate,
    ExportRead,
    FlowRead,
    FlowTimeRead,
    SummaryRead,
    ThroughputRead,
    WorkloadRead,
)

router = APIRouter(prefix="/api/v1", tags=["reports"])
ROOM = "/rooms/{room_id}/reports"
CSV = {200: {"content": {render.CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}}


@router.get(f"{ROOM}/summary", response_model=SummaryRead, responses=CSV)
async def summary(
    room_id: UUID,
    _: RoomViewer,
    session: DbSession,
    zone: Zone,
    runtime: Runtime,
    format: OutputFormat = "json",
) -> Any:
    """A room now: counts by status, priority, assignee; open, overdue, due and done."""
    found = await service.summary(session, room_id=room_id, now=runtime.clock.now(), zone=zone)
    if format == "csv":
        return render.csv_response("summary", *render.summary_table(found))
    return found


@router.get(f"{ROOM}/cumulative-flow", response_model=FlowRead, responses=CSV)
async def cumulative_flow(
    room_id: UUID, _: RoomViewer, session: DbSession, days: DayRange, format: OutputFormat = "json"
) -> Any:
    """Per day, how many tasks were in each status at the end of the day."""
    found = await service.cumulative_flow(session, room_id=room_id, days=days)
    if format == "csv":
        columns = ["date", "pending", "in_progress", "completed"]
        return render.csv_response("cumulative-flow", columns, render.dict_rows(found, columns))
    return {"days": found}


@router.get(f"{ROOM}/burndown", response_model=BurndownRead, responses=CSV)
async def burndown(
    room_id: UUID, _: RoomViewer, session: DbSession, days: DayRange, format: OutputFormat = "json"
) -> Any:
    """Open tasks at the end of each day, tasks added, and the ideal line to none at `to`."""
    found = await service.burndown(session, room_id=room_id, days=days)
    if format == "csv":
        columns = ["date", "open", "added", "ideal"]
        return render.csv_response("burndown", columns, render.dict_rows(found, columns))
    return {"days": found}


@router.get(f"{ROOM}/throughput", response_model=ThroughputRead, responses=CSV)
async def throughput(
    room_id: UUID,
    _: RoomViewer,
    session: DbSession,
    zone: Zone,
    runtime: Runtime,
    weeks: Annotated[int, Query(ge=1, le=53, description="how many weeks, up to this one")] = 12,
    format: OutputFormat = "json",
) -> Any:
    """Tasks completed per week (Monday to Sunday in `tz`), the last `weeks` weeks."""
    found = await service.throughput(
        session, room_id=room_id, weeks=weeks, now=runtime.clock.now(), zone=zone
    )
    if format == "csv":
        columns = ["week_start", "completed"]
        return render.csv_response("throughput", columns, render.dict_rows(found, columns))
    return {"weeks": found}


async def _flow_time(
    kind: str, room_id: UUID, session: DbSession, days: DayRange, format: str
) -> Any:
    found = await service.flow_time(session, room_id=room_id, days=days, kind=kind)
    if format == "csv":
        return render.csv_response(f"{kind}-time", *render.flow_time_table(found))
    return found


@router.get(f"{ROOM}/cycle-time", response_model=FlowTimeRead, responses=CSV)
async def cycle_time(
    room_id: UUID, _: RoomViewer, session: DbSession, days: DayRange, format: OutputFormat = "json"
) -> Any:
    """First move to in progress -> last completion, of the tasks completed in the range."""
    return await _flow_time("cycle", room_id, session, days, format)


@router.get(f"{ROOM}/lead-time", response_model=FlowTimeRead, responses=CSV)
async def lead_time(
    room_id: UUID, _: RoomViewer, session: DbSession, days: DayRange, format: OutputFormat = "json"
) -> Any:
    """Creation -> last completion, of the tasks completed in the range."""
    return await _flow_time("lead", room_id, session, days, format)


@router.get(f"{ROOM}/workload", response_model=WorkloadRead, responses=CSV)
async def workload(
    room_id: UUID,
    _: RoomViewer,
    session: DbSession,
    runtime: Runtime,
    format: OutputFormat = "json",
) -> Any:
    """Open and overdue tasks per assignee."""
    found = await service.workload(session, room_id=room_id, now=runtime.clock.now())
    if format == "csv":
        columns = ["assignee_id", "open", "overdue"]
        return render.csv_response("workload", columns, render.dict_rows(found, columns))
    return {"assignees": found}


@router.get("/reports/me", response_model=DashboardRead, responses=CSV)
async def my_dashboard(
    caller: CurrentUser,
    session: DbSession,
    zone: Zone,
    runtime: Runtime,
    format: OutputFormat = "json",
) -> Any:
    """Your dashboard: your tasks across your rooms, and each room's open and overdue."""
    found = await service.dashboard(session, user_id=caller.id, now=runtime.clock.now(), zone=zone)
    if format == "csv":
        return render.csv_response("my-dashboard", *render.dashboard_table(found))
    return found


# Exports.


@router.post(f"{ROOM}/exports", status_code=status.HTTP_202_ACCEPTED)
async def start_export(
    room_id: UUID, access: RoomMember, body: ExportCreate, session: DbSession, runtime: Runtime
) -> ExportRead:
    """Queue an export of the room (one at a time per member: 409 while one is unfinished)."""
    job = await exports.queue(session, runtime, access=access, request=body)
    return exports.read(job)


@router.get(f"{ROOM}/exports/{{job_id}}")
async def export_status(
    room_id: UUID, job_id: UUID, access: RoomMember, session: DbSession
) -> ExportRead:
    """An export you asked for: its state, and its download link once done."""
    return exports.read(await exports.find(session, access=access, job_id=job_id))


@router.get(
    f"{ROOM}/exports/{{job_id}}/file",
    response_class=Response,
    responses={200: {"content": {media: {} for media in exports.MEDIA_TYPES.values()}}},
)
async def export_file(
    room_id: UUID, job_id: UUID, access: RoomMember, session: DbSession
) -> Response:
    """The file of a finished export (until it expires)."""
    job = await exports.finished(session, access=access, job_id=job_id)
    return Response(
        job.content,
        media_type=exports.MEDIA_TYPES[job.format],
        headers={"Content-Disposition": f'attachment; filename="{job.filename}"'},
    )

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from tasksync.activity import export, service
from tasksync.activity.dependencies import AuditFilters, Filters, Settings, SystemAdmin
from tasksync.activity.queries import EntryFilter
from tasksync.activity.schemas import EntryRead, VerifyRead
from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.pagination import Page, Paging, Slice
from tasksync.common.room_roles import RoomRoles, RoomViewer

router = APIRouter(prefix="/api/v1", tags=["activity"])
admin = APIRouter(prefix="/api/v1/admin/audit", tags=["admin"])


def _page(found: Slice) -> Page[EntryRead]:
    return Page[EntryRead].model_validate(found, from_attributes=True)


@router.get("/rooms/{room_id}/activity")
async def room_activity(
    room_id: UUID, _: RoomViewer, session: DbSession, where: Filters, paging: Paging
) -> Page[EntryRead]:
    """What happened in a room, newest first (its members only)."""
    return _page(await service.room_feed(session, room_id=room_id, where=where, page=paging))


@router.get("/tasks/{task_id}/activity")
async def task_activity(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles, paging: Paging
) -> Page[EntryRead]:
    """A task's history, change by change, newest first (its room's members only)."""
    found = await service.task_history(session, roles, task_id=task_id, caller=caller, page=paging)
    return _page(found)


@router.get("/users/me/activity")
async def my_activity(
    caller: CurrentUser, session: DbSession, where: Filters, paging: Paging
) -> Page[EntryRead]:
    """What you did, newest first."""
    return _page(await service.my_activity(session, caller=caller, where=where, page=paging))


@admin.get("")
async def audit(
    _: SystemAdmin, session: DbSession, where: AuditFilters, paging: Paging
) -> Page[EntryRead]:
    """Everything that happened, newest first (system administrators only)."""
    return _page(await service.audit(session, where=where, page=paging))


@admin.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The entries, one a line (NDJSON) or one a row (CSV with a header).",
            "content": {
                media: {"schema": {"type": "string"}} for media in export.MEDIA_TYPES.values()
            },
        }
    },
)
async def export_audit(
    _: SystemAdmin,
    request: Request,
    settings: Settings,
    format: Annotated[export.Format, Query()] = "ndjson",
    since: Annotated[AwareDatetime | None, Query()] = None,
    until: Annotated[AwareDatetime | None, Query()] = None,
) -> StreamingResponse:
    """The whole audit (or a time range) as NDJSON or CSV, streamed in chain order."""
    body = export.stream(
        request.app.state.kit.db,
        format=format,
        where=EntryFilter(since=since, until=until),
        batch_size=settings.activity_batch_size,
    )
    disposition = f'attachment; filename="tasksync-audit.{format}"'
    return StreamingResponse(
        body, media_type=export.MEDIA_TYPES[format], headers={"Content-Disposition": disposition}
    )


@admin.get("/verify")
async def verify_audit(_: SystemAdmin, request: Request, settings: Settings) -> VerifyRead:
    """Walk the hash chain: `ok`, or the first entry that was changed, removed or moved."""
    async with request.app.state.kit.db.reading() as conn:
        verdict = await service.verify(conn, batch_size=settings.activity_batch_size)
    return VerifyRead.model_validate(verdict, from_attributes=True)

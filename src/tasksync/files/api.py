from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.idempotency import IdempotentWrite
from tasksync.common.openapi import problem_response, with_etag
from tasksync.common.pagination import Page, Paging
from tasksync.common.room_roles import RoomRoles
from tasksync.common.task_rooms import TaskRooms
from tasksync.files import service
from tasksync.files.dependencies import FileDep, ReadableFile, Runtime, TaskReader
from tasksync.files.models import File
from tasksync.files.schemas import (
    CONTENT_ANSWERS,
    THUMBNAIL_ANSWERS,
    UPLOAD_BODY,
    FileRead,
    LinkRead,
)
from tasksync.files.serving import Blob, serve

router = APIRouter(prefix="/api/v1", tags=["files"])


def _read(file: File) -> FileRead:
    return FileRead.model_validate(file, from_attributes=True)


@router.post(
    "/tasks/{task_id}/files",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={**UPLOAD_BODY, **with_etag(False)},
    # It reads its body itself (streaming): the kit cannot see that it takes one.
    responses={code: problem_response(code) for code in (400, 413, 415)},
)
async def upload_file(
    task_id: UUID,
    request: Request,
    caller: CurrentUser,
    roles: RoomRoles,
    task_rooms: TaskRooms,
    runtime: Runtime,
    idempotency: IdempotentWrite,
    response: Response,
) -> FileRead:
    """Attach a file to a task (members and up): multipart/form-data, the field `file`;
    send `Idempotency-Key` to retry safely. Over the size limit or the room's quota: 413."""

    async def unit_of_work(write: service.Write, upload: tuple[object, ...]) -> FileRead:
        # Its own transaction: the body was read before any database work began.
        async with runtime.db.turns, runtime.db.sessionmaker() as session:

            async def create(session: AsyncSession = session) -> FileRead:
                return _read(await write(session))

            answer = await idempotency.run(
                session, ("upload-file", task_id, *upload), create, schema=FileRead
            )
            await session.commit()
        return answer

    incoming = service.Upload(
        task_id=task_id,
        caller=caller,
        body=request.stream(),
        content_type=request.headers.get("content-type"),
    )
    created = await service.upload_file(
        runtime, roles, task_rooms, incoming, unit_of_work=unit_of_work
    )
    response.headers["Location"] = f"/api/v1/files/{created.id}"
    return created


@router.get("/tasks/{task_id}/files")
async def list_files(
    task_id: UUID, access: TaskReader, session: DbSession, paging: Paging
) -> Page[FileRead]:
    """A task's files, oldest first."""
    page = await service.list_files(session, task_id=task_id, page=paging)
    return Page[FileRead](items=[_read(f) for f in page.items], next_cursor=page.next_cursor)


@router.get("/files/{file_id}")
async def get_file(file_id: UUID, found: FileDep) -> FileRead:
    """One file's metadata."""
    return _read(found.file)


@router.delete("/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(file_id: UUID, found: FileDep, session: DbSession) -> None:
    """Delete a file: your own (members and up), or anyone's (admins and the owner)."""
    await service.delete_file(session, file=found.file, access=found.access)


@router.get("/files/{file_id}/content", response_class=Response, responses=CONTENT_ANSWERS)
async def download_file(
    file_id: UUID,
    file: ReadableFile,
    runtime: Runtime,
    if_none_match: str | None = Header(None),
    range: str | None = Header(None),
    if_range: str | None = Header(None),
) -> Response:
    """The file's bytes (a bearer token, or a signed link's query); `Range` for a part
    (206), `If-None-Match` with its `ETag` (304). Only PNG, JPEG, GIF and WebP are shown
    inline; everything else downloads."""
    blob = Blob(file.blob_key, file.size, file.content_type, file.name, file.sha256)
    return await serve(
        runtime.storage, blob, if_none_match=if_none_match, range_header=range, if_range=if_range
    )


@router.post("/files/{file_id}/link")
async def link_file(file_id: UUID, found: FileDep, runtime: Runtime) -> LinkRead:
    """A signed URL of the file's content for 5 minutes, for `<img src>` and downloads
    that cannot send a header; it stops working when the file is deleted or you leave."""
    made = service.link(runtime, file=found.file, caller=found.access.caller)
    return LinkRead(url=made.url, expires_at=made.expires_at)  # type: ignore[arg-type]


@router.get("/files/{file_id}/thumbnail", response_class=Response, responses=THUMBNAIL_ANSWERS)
async def thumbnail(
    file_id: UUID,
    found: FileDep,
    session: DbSession,
    runtime: Runtime,
    if_none_match: str | None = Header(None),
) -> Response:
    """A small PNG preview of an image (at most 256 px a side), made once."""
    key = await service.thumbnail_key(session, runtime, file=found.file)
    blob = Blob(key, None, "image/png", f"{found.file.name}.png", f"{found.file.sha256}-thumb")
    return await serve(
        runtime.storage, blob, if_none_match=if_none_match, range_header=None, if_range=None
    )

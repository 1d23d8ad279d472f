"""Attachments: files under tasks, their bytes in a store, their metadata here.

An upload is received into a spool file (counted, hashed, refused past the limit) before
any database work, so a slow upload never holds a database connection; the blob is then
stored under a fresh key, and one short transaction checks access again, reserves the room's
quota and writes the row with its event. If that transaction does not happen, the blob is
removed again (or, after a crash, by the sweep). Deleting a row queues its blob for removal
in the same transaction (`doomed_blobs`), so no blob is ever forgotten.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.errors import NotFound, PayloadTooLarge
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.room_roles import RoleSource, RoomAccess, RoomRoleReplica, room_access
from tasksync.common.task_rooms import ReplicatedTaskRooms, task_access
from tasksync.contracts.files import FileDeleted, FileUploaded
from tasksync.files import images, queries, upload
from tasksync.files.models import File
from tasksync.files.names import clean_name
from tasksync.files.runtime import FilesRuntime
from tasksync.files.sniff import OCTET_STREAM, detect
from tasksync.files.storage import new_key

T = TypeVar("T")
NO_TASK = "No such task, or you are not a member of its room."
NO_FILE = "No such file, or you are not a member of its room."
log = structlog.get_logger("tasksync.files")


class RoomQuotaExceeded(PayloadTooLarge):
    slug, title = "room-quota-exceeded", "Room storage quota exceeded"


class NoThumbnail(NotFound):
    slug, title = "no-thumbnail", "No thumbnail"


# Access


async def file_access(
    session: AsyncSession, roles: RoleSource, *, file_id: UUID, caller: Principal
) -> tuple[File, RoomAccess]:
    """A file and the caller's access to its room (404 for an outsider, as for no file)."""
    found = await queries.file(session, file_id)
    if found is None:
        raise NotFound(NO_FILE)
    try:
        access = await room_access(roles, session, room_id=found.room_id, caller=caller)
    except NotFound:
        raise NotFound(NO_FILE) from None
    return found, access


async def linked_file(
    session: AsyncSession,
    replica: RoomRoleReplica,
    runtime: FilesRuntime,
    *,
    file_id: UUID,
    expires: int,
    user_id: UUID,
    signature: str,
) -> File:
    """The file of a signed link that is still good: unexpired, untampered, its file still
    there and its user still in the file's room (404 otherwise, whatever the reason)."""
    if not runtime.signer.valid(file_id, expires, user_id, signature, now=utcnow()):
        raise NotFound("This link has expired or is not valid; ask for a new one.")
    found = await queries.file(session, file_id)
    if found is None or await replica.stored_role(session, found.room_id, user_id) is None:
        raise NotFound(NO_FILE)
    return found


# Writes


@dataclass(frozen=True, slots=True)
class Upload:
    task_id: UUID
    caller: Principal
    body: AsyncIterator[bytes]
    content_type: str | None


Write = Callable[[AsyncSession], Awaitable[File]]
# Runs a write in one transaction, given what identifies the upload (for retries): its
# answer, which may be an earlier identical request's.
Transaction = Callable[[Write, tuple[object, ...]], Awaitable[T]]


async def upload_file(
    runtime: FilesRuntime,
    roles: RoleSource,
    task_rooms: ReplicatedTaskRooms,
    incoming: Upload,
    *,
    unit_of_work: Transaction[T],
) -> T:
    """Receives a file and attaches it to a task (members and up). `unit_of_work` runs the
    final write in one transaction (and may answer from an earlier identical request
    instead, in which case the blob just stored is removed again)."""
    settings = runtime.settings
    async with runtime.db.turns, runtime.db.sessionmaker.begin() as session:
        access = await task_access(
            session,
            roles,
            task_rooms,
            task_id=incoming.task_id,
            caller=incoming.caller,
            not_found=NO_TASK,
        )
        access.require("member", "attach files")
    received = await upload.receive(
        incoming.body,
        content_type=incoming.content_type,
        spool=runtime.spool,
        limit=settings.files_max_bytes,
    )
    key = new_key()
    written: list[File] = []
    try:
        content_type = detect(received.head)
        size = await asyncio.to_thread(images.dimensions, received.path, content_type)
        if content_type in images.INLINE and size is None:
            content_type = OCTET_STREAM  # an image's signature in front of something else
        await runtime.storage.put(key, received.path, size=received.size, content_type=content_type)

        async def write(session: AsyncSession) -> File:
            access = await task_access(
                session,
                roles,
                task_rooms,
                task_id=incoming.task_id,
                caller=incoming.caller,
                not_found=NO_TASK,
                lock=True,
            )
            access.require("member", "attach files")
            quota = settings.files_room_quota_bytes
            if not await queries.reserve(
                session, room_id=access.room_id, size=received.size, quota=quota
            ):
                raise RoomQuotaExceeded(f"This room's files may take at most {quota} bytes in all.")
            created = File(
                task_id=incoming.task_id,
                room_id=access.room_id,
                name=clean_name(received.name),
                size=received.size,
                content_type=content_type,
                sha256=received.sha256,
                width=size.width if size else None,
                height=size.height if size else None,
                blob_key=key,
                uploaded_by=incoming.caller.id,
                created_at=utcnow(),
            )
            session.add(created)
            await session.flush()
            publish(
                session,
                FileUploaded(
                    file_id=created.id,
                    task_id=created.task_id,
                    room_id=created.room_id,
                    uploaded_by=created.uploaded_by,
                    name=created.name,
                    size=created.size,
                    content_type=created.content_type,
                ),
                actor_id=incoming.caller.id,
                room_id=created.room_id,
            )
            written.append(created)
            return created

        answer = await unit_of_work(write, (received.sha256, received.size, received.name))
    except BaseException:
        await _drop_blob(runtime, key)
        raise
    finally:
        received.discard()
    if not written:  # an earlier identical request's answer: this copy is not needed
        await _drop_blob(runtime, key)
    return answer


async def _drop_blob(runtime: FilesRuntime, key: str) -> None:
    """Removes a blob no row took; if the store cannot now, the queue will later."""
    try:
        await runtime.storage.delete(key)
    except Exception as exc:
        log.warning("blob_deletion_deferred", key=key, error=str(exc))
        async with runtime.db.sessionmaker.begin() as session:
            await queries.doom(session, [key])


async def delete_file(session: AsyncSession, *, file: File, access: RoomAccess) -> None:
    """Deletes an attachment: your own, or anyone's (admins and the owner)."""
    if file.uploaded_by != access.caller.id:
        access.require("admin", "delete someone else's file")
    else:
        access.require("member", "delete files")
    await queries.doom(session, [k for k in (file.blob_key, file.thumbnail_key) if k])
    await queries.release(session, room_id=file.room_id, size=file.size)
    await session.delete(file)
    publish(
        session,
        FileDeleted(
            file_id=file.id,
            task_id=file.task_id,
            room_id=file.room_id,
            uploaded_by=file.uploaded_by,
        ),
        actor_id=access.caller.id,
        room_id=file.room_id,
    )


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    expires_at: object


def link(runtime: FilesRuntime, *, file: File, caller: Principal) -> Link:
    expires_at = utcnow() + timedelta(seconds=runtime.settings.files_link_seconds)
    query = runtime.signer.query(file.id, caller.id, expires_at)
    return Link(
        url=f"/api/v1/files/{file.id}/content?{query}", expires_at=expires_at.replace(microsecond=0)
    )


# Reads


async def list_files(session: AsyncSession, *, task_id: UUID, page: PageParams) -> Slice[File]:
    return await queries.task_files(session, task_id=task_id, page=page)


async def thumbnail_key(session: AsyncSession, runtime: FilesRuntime, *, file: File) -> str:
    """The key of a file's preview, made (once) on first demand."""
    if file.thumbnail_key is not None:
        return file.thumbnail_key
    if file.content_type not in images.INLINE or not file.width or not file.height:
        raise NoThumbnail("Only images (PNG, JPEG, GIF, WebP) have a thumbnail.")
    settings = runtime.settings
    if file.width * file.height > settings.files_max_image_pixels:
        raise NoThumbnail("This image has too many pixels to preview.")
    source = b"".join([chunk async for chunk in runtime.storage.read(file.blob_key)])
    try:
        preview = await images.thumbnail(
            source,
            file.content_type,
            box=settings.files_thumbnail_size,
            max_pixels=settings.files_max_image_pixels,
            seconds=settings.files_thumbnail_seconds,
        )
    except (TimeoutError, images.TooManyPixels, OSError, ValueError) as exc:
        raise NoThumbnail("This image could not be previewed.") from exc
    key = f"{file.blob_key}.thumb"
    # Two people opening the same image at once each make it: each spools its own copy.
    spooled = runtime.spool / f"{uuid7().hex}.upload"
    await asyncio.to_thread(spooled.write_bytes, preview)
    try:
        await runtime.storage.put(
            key, spooled, size=len(preview), content_type=images.THUMBNAIL_TYPE
        )
    finally:
        spooled.unlink(missing_ok=True)
    recorded = await queries.set_thumbnail(session, file_id=file.id, key=key)
    if not recorded and await queries.file(session, file.id) is None:  # deleted meanwhile
        await queries.doom(session, [key])
    file.thumbnail_key = key
    return key


# Cascades, run by the event handlers.


async def forget_task(session: AsyncSession, *, task_id: UUID) -> None:
    """A deleted task takes its files with it: rows now, blobs through the queue."""
    usage = await queries.room_task_usage(session, task_id)
    await queries.doom(session, await queries.delete_task_files(session, task_id))
    if usage is not None:
        await queries.release(session, room_id=usage[0], size=usage[1])


async def forget_room(session: AsyncSession, *, room_id: UUID) -> None:
    await queries.doom(session, await queries.delete_room_files(session, room_id))


async def forget_uploader(session: AsyncSession, *, user_id: UUID) -> None:
    await queries.forget_uploader(session, user_id)

"""Fixtures of the files suite: the embedded stack on each storage backend (a local folder
with SQLite, a bucket of a real S3-compatible server with PostgreSQL), with direct access to
the files database and store for what no route exposes; a room with one person per role and
a task in it."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasksync import stack
from tasksync.common.db import Database
from tasksync.files.models import DoomedBlob, File, room_roles
from tasksync.files.runtime import FilesRuntime
from tests.helpers.rooms import ROLES, RoleRoom, cast_of, room_with_roles
from tests.helpers.s3_server import moto_server
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    with moto_server() as server:
        yield server.url


@pytest.fixture
def store_settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> dict[str, Any]:
    """The files service's storage settings: a fresh folder on the embedded backend, a fresh
    bucket on the distributed one. The storage code does not depend on the database nor the
    database code on the storage, so the two pairs that deployments use cover both sides
    (every test on all four pairs cost the suite over two minutes)."""
    if backend == "sqlite":
        return {"files_dir": tmp_path / "files", "files_backend": "local"}
    return {
        "files_dir": tmp_path / "files",
        "files_backend": "s3",
        "files_s3_endpoint": request.getfixturevalue("s3_url"),
        "files_s3_bucket": f"tasksync-{uuid.uuid4().hex[:12]}",
        "files_s3_access_key": "test",
        "files_s3_secret_key": "test",
    }


@pytest.fixture
def files_settings(settings: dict[str, Any], store_settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, **store_settings}


@pytest.fixture
async def stack_app(files_settings: dict[str, Any]) -> AsyncIterator[FastAPI]:
    """The embedded stack on this test's storage backend."""
    app = stack.build_embedded(**files_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def files_app(stack_app: FastAPI) -> FastAPI:
    return stack_app.state.mounted["files"]


@pytest.fixture
def files_db(files_app: FastAPI) -> Database:
    return files_app.state.kit.db


@pytest.fixture
def runtime(files_app: FastAPI) -> FilesRuntime:
    return files_app.state.runtime


@pytest.fixture
async def room(client: httpx.AsyncClient, files_db: Database) -> RoleRoom:
    """A room with an owner, an admin, a member and a viewer, plus an outsider; the files
    service has heard of every membership."""
    room = await room_with_roles(client, await cast_of(client), "Files")
    await eventually(lambda: _replica_has_roles(files_db, room))
    return room


@pytest.fixture
async def task(client: httpx.AsyncClient, room: RoleRoom) -> dict[str, Any]:
    return await create_task(client, room.member, room.id, "Attach to me")


async def _replica_has_roles(files_db: Database, room: RoleRoom) -> bool:
    c = room_roles.table.c
    async with files_db.sessionmaker() as session:
        rows = await session.execute(select(c.user_id, c.role).where(c.room_id == UUID(room.id)))
        roles = {str(user_id): role for user_id, role in rows}
    found = [roles.get(room.by_role(role).id) for role in ROLES]
    return found[:3] == list(ROLES[:3]) and found[3] in ("viewer", None)


async def stored_files(files_db: Database) -> int:
    async with files_db.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(File))) or 0


async def doomed_blobs(files_db: Database) -> int:
    async with files_db.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(DoomedBlob))) or 0


async def blobs(runtime: FilesRuntime) -> list[str]:
    """The keys the store holds (the folder, or the bucket)."""
    return [blob.key async for blob in runtime.storage.listing()]


def spooled(runtime: FilesRuntime) -> list[Path]:
    """Uploads being received, or left over."""
    return list(runtime.spool.iterdir())


async def nothing_left_behind(files_db: Database, runtime: FilesRuntime) -> None:
    assert await stored_files(files_db) == 0
    assert await blobs(runtime) == []
    assert spooled(runtime) == []

"""What other services' events do to files (real events from tasks, rooms and users), the
durable removal of blobs (a store that is down delays it, never loses it), the sweep of
crash leftovers, and retried uploads."""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasksync.common.db import Database
from tasksync.files.runtime import FilesRuntime
from tasksync.files.storage import new_key
from tasksync.files.storage.local import LocalStorage
from tests.files.conftest import blobs, doomed_blobs, spooled, stored_files
from tests.helpers.builders import assert_problem
from tests.helpers.files import upload, uploaded
from tests.helpers.rooms import RoleRoom
from tests.helpers.s3_server import MotoServer, moto_server
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually


async def _no_rows_left(files_db: Database) -> bool:
    return await stored_files(files_db) == 0


class TestTaskDeleted:
    async def test_its_rows_go_at_once_and_its_blobs_through_the_queue(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        kept_task = await create_task(client, room.member, room.id, "Kept")
        gone = await uploaded(client, room.member, task["id"])
        await uploaded(client, room.member, task["id"])
        kept = await uploaded(client, room.member, kept_task["id"])
        response = await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert response.status_code == 204

        async def one_row_left() -> bool:
            return await stored_files(files_db) == 1

        await eventually(one_row_left)
        await runtime.purge()
        assert len(await blobs(runtime)) == 1
        assert await doomed_blobs(files_db) == 0
        assert_problem(
            await client.get(f"/api/v1/files/{gone['id']}", headers=room.member.headers), 404
        )
        assert (
            await client.get(f"/api/v1/files/{kept['id']}/content", headers=room.member.headers)
        ).status_code == 200
        assert_problem(await upload(client, room.member, task["id"]), 404)


class TestRoomDeleted:
    async def test_every_file_of_the_room_goes(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        await uploaded(client, room.member, task["id"])
        await uploaded(client, room.admin, task["id"])
        response = await client.delete(f"/api/v1/rooms/{room.id}", headers=room.owner.headers)
        assert response.status_code == 204
        await eventually(lambda: _no_rows_left(files_db))
        await runtime.purge()
        assert await blobs(runtime) == []


class TestUserDeleted:
    async def test_their_files_stay_without_an_uploader(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"])
        response = await client.request(
            "DELETE",
            "/api/v1/users/me",
            json={"password": room.member.password},
            headers=room.member.headers,
        )
        assert response.status_code == 204, response.text

        async def anonymous() -> bool:
            shown = await client.get(f"/api/v1/files/{created['id']}", headers=room.owner.headers)
            return shown.json()["uploaded_by"] is None

        await eventually(anonymous)


class TestStoreDown:
    """The local store made to fail (its blob's folder replaced by a plain file), or the S3
    server stopped (moto then comes back empty: the bucket is made again)."""

    @pytest.fixture
    def s3_server(self) -> Iterator[MotoServer]:
        with moto_server() as server:
            yield server

    @pytest.fixture
    def store_settings(
        self, request: pytest.FixtureRequest, store_settings: dict[str, Any]
    ) -> dict[str, Any]:
        # Only the test removes blobs here: the service's own pass would race it.
        quiet = {**store_settings, "files_purge_interval": 3600.0}
        if store_settings["files_backend"] == "s3":
            server = request.getfixturevalue("s3_server")
            return {**quiet, "files_s3_endpoint": server.url}
        return quiet

    @contextlib.asynccontextmanager
    async def _outage(
        self, request: pytest.FixtureRequest, runtime: FilesRuntime, key: str
    ) -> AsyncIterator[None]:
        storage = runtime.storage
        if isinstance(storage, LocalStorage):
            folder = storage.blobs / key.split("/")[0] if key else storage.blobs
            away = folder.with_name(f"{folder.name}.away")
            folder.rename(away)
            folder.write_bytes(b"")
            yield
            folder.unlink()
            away.rename(folder)
        else:
            server: MotoServer = request.getfixturevalue("s3_server")
            server.stop()
            yield
            server.start()
            await storage.start()

    async def test_a_deletion_waits_for_the_store_and_is_never_lost(
        self,
        request: pytest.FixtureRequest,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        created = await uploaded(client, room.member, task["id"])
        [key] = await blobs(runtime)
        async with self._outage(request, runtime, key):
            response = await client.delete(
                f"/api/v1/files/{created['id']}", headers=room.member.headers
            )
            assert response.status_code == 204
            assert await runtime.purge() == 0
            assert await doomed_blobs(files_db) == 1
        # Tried again once its backoff is over, not before.
        assert await runtime.purge() == 0
        assert await doomed_blobs(files_db) == 1
        await _due_now(files_db)
        assert await runtime.purge() == 1
        assert await blobs(runtime) == []
        assert await doomed_blobs(files_db) == 0

    async def test_the_service_is_not_ready_while_its_store_is_down(
        self, request: pytest.FixtureRequest, files_app: FastAPI, runtime: FilesRuntime
    ) -> None:
        transport = httpx.ASGITransport(app=files_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://files") as direct:
            assert (await direct.get("/ready")).status_code == 200
            async with self._outage(request, runtime, ""):
                down = await direct.get("/ready")
                assert_problem(down, 503)
                assert "storage" in down.json()["detail"]
            assert (await direct.get("/ready")).status_code == 200


async def _due_now(files_db: Database) -> None:
    from sqlalchemy import update

    from tasksync.common.clock import utcnow
    from tasksync.files.models import DoomedBlob

    async with files_db.sessionmaker.begin() as session:
        await session.execute(update(DoomedBlob).values(due_at=utcnow()))


class TestSweep:
    async def test_crash_leftovers_are_swept_and_live_blobs_kept(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        runtime: FilesRuntime,
        tmp_path: Path,
    ) -> None:
        await uploaded(client, room.member, task["id"])
        [live] = await blobs(runtime)
        # What a crash leaves: a blob stored before its row was written, and a half upload.
        leftover = tmp_path / "leftover"
        leftover.write_bytes(b"half")
        orphan = new_key()
        await runtime.storage.put(orphan, leftover, size=4, content_type="text/plain")
        half = runtime.spool / "crashed.upload"
        half.write_bytes(b"half an upload")
        assert await runtime.sweep() == 0  # younger than a day: an upload may be finishing
        assert sorted(await blobs(runtime)) == sorted([live, orphan])
        old = half.stat().st_mtime - 2 * 86400
        os.utime(half, (old, old))
        assert await runtime.sweep(older_than=timedelta(0)) == 1
        assert await blobs(runtime) == [live]
        assert spooled(runtime) == []


class TestRetries:
    async def test_a_retried_upload_with_the_same_key_is_stored_once(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        key = {"Idempotency-Key": "upload-1"}
        first = await upload(client, room.member, task["id"], b"once", "a.txt", headers=key)
        again = await upload(client, room.member, task["id"], b"once", "a.txt", headers=key)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert await stored_files(files_db) == 1
        assert len(await blobs(runtime)) == 1
        other = await upload(client, room.member, task["id"], b"twice", "a.txt", headers=key)
        assert_problem(other, 422)
        assert len(await blobs(runtime)) == 1

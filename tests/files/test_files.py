"""A member attaches a file to a task and another member downloads it; listing, metadata,
deletion, and the file count on the task."""

from typing import Any

import httpx

from tasksync.common.db import Database
from tasksync.files.runtime import FilesRuntime
from tests.files.conftest import blobs, doomed_blobs, stored_files
from tests.helpers.builders import assert_problem
from tests.helpers.files import PNG_1x1, upload, uploaded
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import get_task
from tests.helpers.waiting import eventually


class TestUploadAndDownload:
    async def test_a_member_attaches_a_file_and_another_member_downloads_it(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        content = b"minutes of the meeting\n" * 1000
        response = await upload(client, room.member, task["id"], content, "minutes.txt")
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["location"] == f"/api/v1/files/{created['id']}"
        assert created["task_id"] == task["id"]
        assert created["room_id"] == room.id
        assert created["name"] == "minutes.txt"
        assert created["size"] == len(content)
        assert created["content_type"] == "text/plain"
        assert created["uploaded_by"] == room.member.id
        assert len(created["sha256"]) == 64
        assert created["width"] is None

        download = await client.get(
            f"/api/v1/files/{created['id']}/content", headers=room.viewer.headers
        )
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["etag"] == f'"{created["sha256"]}"'
        assert download.headers["content-disposition"].startswith("attachment;")

    async def test_an_image_has_its_dimensions_and_shows_inline(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"], PNG_1x1, "dot.png")
        assert (created["content_type"], created["width"], created["height"]) == ("image/png", 1, 1)
        shown = await client.get(
            f"/api/v1/files/{created['id']}/content", headers=room.member.headers
        )
        assert shown.headers["content-type"] == "image/png"
        assert shown.headers["content-disposition"].startswith("inline;")


class TestListAndDelete:
    async def test_files_are_listed_oldest_first_in_pages(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        ids = [
            (await uploaded(client, room.member, task["id"], f"{n}".encode(), f"{n}.txt"))["id"]
            for n in range(3)
        ]
        path = f"/api/v1/tasks/{task['id']}/files"
        first = (await client.get(path, params={"limit": 2}, headers=room.viewer.headers)).json()
        assert [f["id"] for f in first["items"]] == ids[:2]
        rest = await client.get(
            path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=room.viewer.headers
        )
        assert [f["id"] for f in rest.json()["items"]] == ids[2:]
        assert rest.json()["next_cursor"] is None

    async def test_a_deleted_file_is_gone_and_its_blob_removed(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        created = await uploaded(client, room.member, task["id"])
        assert len(await blobs(runtime)) == 1
        response = await client.delete(
            f"/api/v1/files/{created['id']}", headers=room.member.headers
        )
        assert response.status_code == 204
        for path in (f"/api/v1/files/{created['id']}", f"/api/v1/files/{created['id']}/content"):
            assert_problem(await client.get(path, headers=room.member.headers), 404)
        assert await stored_files(files_db) == 0
        await runtime.purge()
        assert await blobs(runtime) == []
        assert await doomed_blobs(files_db) == 0


class TestFileCount:
    async def test_the_task_counts_its_files(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        first = await uploaded(client, room.member, task["id"])
        await uploaded(client, room.member, task["id"])

        async def count() -> int:
            return (await get_task(client, room.owner, task["id"])).json()["file_count"]

        await eventually(lambda: _equals(count, 2))
        await client.delete(f"/api/v1/files/{first['id']}", headers=room.member.headers)
        await eventually(lambda: _equals(count, 1))


async def _equals(read: Any, expected: int) -> bool:
    return await read() == expected

"""Room roles over every files route: viewers read; members upload and delete their own;
admins and the owner delete anyone's; outsiders get 404 and anonymous callers 401. Ids of
another room, or another task, are 404."""

from typing import Any

import httpx
import pytest

from tasksync.common.db import Database
from tasksync.files.runtime import FilesRuntime
from tests.files.conftest import blobs, stored_files
from tests.helpers.builders import assert_problem
from tests.helpers.files import PNG_1x1, upload, uploaded
from tests.helpers.role_table import READERS, WRITERS, headers_of, outcomes
from tests.helpers.rooms import RoleRoom, create_room
from tests.helpers.tasks import create_task

# The role checks are the same code on both backends, and the role replica's queries run on
# PostgreSQL in every other suite: the role table runs on the embedded backend alone.
pytestmark = pytest.mark.only_backend("sqlite")


class TestRoleTable:
    async def test_uploading_needs_member_or_above_and_a_refusal_leaves_nothing(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        async def post(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.post(
                f"/api/v1/tasks/{task['id']}/files",
                files={"file": (f"{caller}.txt", caller.encode(), "text/plain")},
                headers=headers,
            )

        assert await outcomes(room, post) == WRITERS | {
            "member": 201,
            "admin": 201,
            "owner": 201,
        }
        assert await stored_files(files_db) == 3
        assert len(await blobs(runtime)) == 3

    async def test_every_member_reads_the_list_the_metadata_the_content_and_the_thumbnail(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        image = await uploaded(client, room.member, task["id"], PNG_1x1, "dot.png")
        for path in (
            f"/api/v1/tasks/{task['id']}/files",
            f"/api/v1/files/{image['id']}",
            f"/api/v1/files/{image['id']}/content",
            f"/api/v1/files/{image['id']}/thumbnail",
        ):

            async def get(caller: str, headers: dict[str, str], path: str = path) -> httpx.Response:
                return await client.get(path, headers=headers)

            assert await outcomes(room, get) == READERS, path

    async def test_every_member_may_ask_for_a_link(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"])

        async def post(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.post(f"/api/v1/files/{created['id']}/link", headers=headers)

        assert await outcomes(room, post) == READERS

    async def test_the_uploader_deletes_their_own_file(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"])
        outcomes = {}
        for caller in ("outsider", "anonymous", "viewer", "member"):
            response = await client.delete(
                f"/api/v1/files/{created['id']}", headers=headers_of(room, caller)
            )
            outcomes[caller] = response.status_code
        assert outcomes == {"outsider": 404, "anonymous": 401, "viewer": 403, "member": 204}

    async def test_only_admins_and_the_owner_delete_someone_elses_file(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        outcomes = {}
        for caller in ("viewer", "member", "admin", "owner"):
            theirs = await uploaded(
                client, room.admin if caller == "member" else room.member, task["id"]
            )
            response = await client.delete(
                f"/api/v1/files/{theirs['id']}", headers=headers_of(room, caller)
            )
            outcomes[caller] = response.status_code
        assert outcomes == {"viewer": 403, "member": 403, "admin": 204, "owner": 204}


class TestForeignIds:
    async def test_a_task_of_a_room_the_caller_is_not_in_is_404_for_every_task_route(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        elsewhere = await create_room(client, room.outsider, "Elsewhere")
        foreign_task = await create_task(client, room.outsider, elsewhere["id"])
        await uploaded(client, room.outsider, foreign_task["id"])
        listed = await client.get(
            f"/api/v1/tasks/{foreign_task['id']}/files", headers=room.owner.headers
        )
        assert_problem(listed, 404)
        refused = await upload(client, room.owner, foreign_task["id"])
        assert_problem(refused, 404)

    async def test_a_file_of_another_room_is_404_on_every_file_route(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        elsewhere = await create_room(client, room.outsider, "Elsewhere")
        foreign_task = await create_task(client, room.outsider, elsewhere["id"])
        foreign = await uploaded(client, room.outsider, foreign_task["id"], PNG_1x1, "x.png")
        base = f"/api/v1/files/{foreign['id']}"
        for method, path in (
            ("GET", base),
            ("GET", f"{base}/content"),
            ("GET", f"{base}/thumbnail"),
            ("POST", f"{base}/link"),
            ("DELETE", base),
        ):
            response = await client.request(method, path, headers=room.owner.headers)
            assert_problem(response, 404)

    async def test_an_unknown_task_or_file_is_404(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        unknown = "0190a0a0-0000-7000-8000-000000000000"
        assert_problem(await upload(client, room.owner, unknown), 404)
        response = await client.get(f"/api/v1/files/{unknown}", headers=room.owner.headers)
        assert_problem(response, 404)

    async def test_files_of_one_task_are_not_listed_under_another(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        other = await create_task(client, room.member, room.id, "Other")
        await uploaded(client, room.member, task["id"])
        listed = await client.get(f"/api/v1/tasks/{other['id']}/files", headers=room.owner.headers)
        assert listed.json()["items"] == []

"""RoleRoom roles over every tasks route: viewers read; members create, edit and change status;
deleting someone else's task needs admin or owner; outsiders get 404, anonymous callers 401."""

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import delete

from tasksync.common.db import Database
from tasksync.tasks.models import room_roles
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom, set_role
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.tasks.conftest import replica_roles

# The role checks are the same code on both backends, and the role replica's queries run on
# PostgreSQL in every other suite: the role table runs on the embedded backend alone.
pytestmark = pytest.mark.only_backend("sqlite")

CALLERS = ("viewer", "member", "admin", "owner", "outsider", "anonymous")


def _headers(room: RoleRoom, caller: str) -> dict[str, str]:
    return {} if caller == "anonymous" else room.by_role(caller).headers


def _check(outcomes: dict[str, httpx.Response], expected: dict[str, int]) -> None:
    got = {caller: response.status_code for caller, response in outcomes.items()}
    assert got == expected
    for response in outcomes.values():
        if response.status_code >= 400:
            assert_problem(response, response.status_code)


class TestRoleTable:
    async def test_creating_a_task_needs_member_or_above(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        outcomes = {
            caller: await client.post(
                f"/api/v1/rooms/{room.id}/tasks",
                json={"title": f"by {caller}"},
                headers=_headers(room, caller),
            )
            for caller in CALLERS
        }
        _check(
            outcomes,
            {
                "viewer": 403,
                "member": 201,
                "admin": 201,
                "owner": 201,
                "outsider": 404,
                "anonymous": 401,
            },
        )
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.owner.headers)
        assert sorted(t["title"] for t in listed.json()["items"]) == [
            "by admin",
            "by member",
            "by owner",
        ]

    async def test_every_member_lists_a_rooms_tasks(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await create_task(client, room.member, room.id)
        outcomes = {
            caller: await client.get(
                f"/api/v1/rooms/{room.id}/tasks", headers=_headers(room, caller)
            )
            for caller in CALLERS
        }
        _check(outcomes, _readers())
        for caller in ("viewer", "member", "admin", "owner"):
            assert len(outcomes[caller].json()["items"]) == 1

    async def test_every_member_reads_a_task(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        outcomes = {
            caller: await client.get(f"/api/v1/tasks/{task['id']}", headers=_headers(room, caller))
            for caller in CALLERS
        }
        _check(outcomes, _readers())
        assert outcomes["viewer"].headers["etag"] == '"1"'

    async def test_editing_a_task_needs_member_or_above(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.owner, room.id)
        outcomes = {
            caller: await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"status": "in_progress", "title": f"by {caller}"},
                headers=_headers(room, caller),
            )
            for caller in CALLERS
        }
        _check(
            outcomes,
            {
                "viewer": 403,
                "member": 200,
                "admin": 200,
                "owner": 200,
                "outsider": 404,
                "anonymous": 401,
            },
        )
        final = await client.get(f"/api/v1/tasks/{task['id']}", headers=room.owner.headers)
        assert final.json()["title"] == "by owner"
        assert final.json()["version"] == 4

    async def test_deleting_someone_elses_task_needs_admin_or_owner(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        outcomes: dict[str, Any] = {}
        for caller in CALLERS:
            author = room.admin if caller == "member" else room.member
            task = await create_task(client, author, room.id)
            outcomes[caller] = await client.delete(
                f"/api/v1/tasks/{task['id']}", headers=_headers(room, caller)
            )
        _check(
            outcomes,
            {
                "viewer": 403,
                "member": 403,
                "admin": 204,
                "owner": 204,
                "outsider": 404,
                "anonymous": 401,
            },
        )

    async def test_members_and_above_delete_their_own_tasks(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for caller in ("member", "admin", "owner"):
            person = room.by_role(caller)
            task = await create_task(client, person, room.id)
            response = await client.delete(f"/api/v1/tasks/{task['id']}", headers=person.headers)
            assert response.status_code == 204, caller
            gone = await client.get(f"/api/v1/tasks/{task['id']}", headers=person.headers)
            assert_problem(gone, 404)

    async def test_everyone_signed_in_lists_their_own_tasks_and_only_theirs(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for caller in ("viewer", "member", "admin", "owner"):
            await create_task(client, room.owner, room.id, assignee_id=room.by_role(caller).id)
        outcomes = {
            caller: await client.get("/api/v1/tasks", headers=_headers(room, caller))
            for caller in CALLERS
        }
        _check(outcomes, dict.fromkeys(CALLERS[:-1], 200) | {"anonymous": 401})
        for caller in ("viewer", "member", "admin", "owner"):
            (item,) = outcomes[caller].json()["items"]
            assert item["assignee_id"] == room.by_role(caller).id
        assert outcomes["outsider"].json()["items"] == []


def _readers() -> dict[str, int]:
    return {
        "viewer": 200,
        "member": 200,
        "admin": 200,
        "owner": 200,
        "outsider": 404,
        "anonymous": 401,
    }


class TestMembershipReplica:
    async def test_a_member_the_replica_has_not_heard_of_is_asked_about_and_let_in(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        async with tasks_db.sessionmaker.begin() as session:
            await session.execute(
                delete(room_roles.table).where(room_roles.table.c.room_id == UUID(room.id))
            )
        response = await client.post(
            f"/api/v1/rooms/{room.id}/tasks", json={"title": "x"}, headers=room.member.headers
        )
        assert response.status_code == 201
        assert await replica_roles(tasks_db, room.id) == {room.member.id: "member"}
        refused = await client.post(
            f"/api/v1/rooms/{room.id}/tasks", json={"title": "x"}, headers=room.viewer.headers
        )
        assert_problem(refused, 403)
        assert_problem(
            await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.outsider.headers), 404
        )
        assert room.outsider.id not in await replica_roles(tasks_db, room.id)

    async def test_a_role_change_applies_once_its_event_lands(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        own = await create_task(client, room.member, room.id)
        await set_role(client, room.owner, room.id, room.member.id, "viewer")

        async def refused() -> bool:
            response = await client.post(
                f"/api/v1/rooms/{room.id}/tasks", json={"title": "x"}, headers=room.member.headers
            )
            return response.status_code == 403

        await eventually(refused)
        # a viewer may not delete even a task they created
        response = await client.delete(f"/api/v1/tasks/{own['id']}", headers=room.member.headers)
        assert_problem(response, 403)
        await set_role(client, room.owner, room.id, room.viewer.id, "member")
        await eventually(lambda: _created_by(client, room))


async def _created_by(client: httpx.AsyncClient, room: RoleRoom) -> bool:
    response = await client.post(
        f"/api/v1/rooms/{room.id}/tasks", json={"title": "x"}, headers=room.viewer.headers
    )
    return response.status_code == 201

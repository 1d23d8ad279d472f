"""Access taken away in rooms ends everywhere before the change is answered: a removed,
downgraded or deleted-room member's very next request is decided on the new role, round
after round (finding 1 of the security review: ASVS 8.3.2)."""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem
from tests.helpers.distributed import distributed_stack
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles, set_role
from tests.helpers.tasks import create_task

# Each round is decided on the new role or not at all; a race shows within a few dozen.
ROUNDS = 30
ROOMS = "/api/v1/rooms"


def _members(room: RoleRoom) -> str:
    return f"{ROOMS}/{room.id}/members"


async def _add(client: httpx.AsyncClient, room: RoleRoom, user_id: str, role: str) -> None:
    added = await client.post(
        _members(room), json={"user_id": user_id, "role": role}, headers=room.owner.headers
    )
    assert added.status_code == 201, added.text


class TestImmediately:
    async def test_a_removed_member_is_refused_at_once_every_round(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        tia, allowed = room.tia, []
        for n in range(ROUNDS):
            task = await create_task(client, tia, room.id, f"round {n}")  # the replica knows tia
            removed = await client.delete(f"{_members(room)}/{tia.id}", headers=room.owner.headers)
            assert removed.status_code == 204
            read = await client.get(f"/api/v1/tasks/{task['id']}", headers=tia.headers)
            write = await client.post(
                f"{ROOMS}/{room.id}/tasks", json={"title": "after"}, headers=tia.headers
            )
            allowed += [r.status_code for r in (read, write) if r.status_code != 404]
            await _add(client, room, tia.id, "member")
        assert allowed == []

    async def test_a_downgraded_member_or_admin_loses_the_power_at_once_every_round(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        tia, allowed = room.tia, []
        others = await create_task(client, room.owner, room.id, "the owner's")
        for n in range(ROUNDS // 2):
            await create_task(client, tia, room.id, f"round {n}")
            await set_role(client, room.owner, room.id, tia.id, "viewer")
            write = await client.post(
                f"{ROOMS}/{room.id}/tasks", json={"title": "as viewer"}, headers=tia.headers
            )
            allowed += [write.status_code] if write.status_code != 403 else []
            await set_role(client, room.owner, room.id, tia.id, "admin")
            await client.get(f"/api/v1/tasks/{others['id']}", headers=tia.headers)
            await set_role(client, room.owner, room.id, tia.id, "member")
            delete = await client.delete(f"/api/v1/tasks/{others['id']}", headers=tia.headers)
            allowed += [delete.status_code] if delete.status_code != 403 else []
            await set_role(client, room.owner, room.id, tia.id, "member")
        assert allowed == []

    async def test_a_deleted_rooms_tasks_are_gone_for_its_members_at_once(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        deleted = await client.delete(f"{ROOMS}/{room.id}", headers=room.owner.headers)
        assert deleted.status_code == 204
        for person in (room.member, room.viewer, room.admin):
            assert_problem(
                await client.get(f"/api/v1/tasks/{task['id']}", headers=person.headers), 404
            )
            listed = await client.get(f"{ROOMS}/{room.id}/tasks", headers=person.headers)
            assert_problem(listed, 404)


class TestImmediatelyAcrossServers:
    """The same rule with users, rooms and tasks each behind its own HTTP server and the
    gateway in front, as `tasksync up --distributed` runs them: the revocation crosses HTTP,
    the events cross Redis Streams (on the postgres backend)."""

    async def test_a_removed_or_downgraded_member_is_refused_at_once_every_round(
        self, settings: dict[str, Any], backend: str
    ) -> None:
        if backend != "postgres":
            pytest.skip("distributed mode runs on PostgreSQL and Redis only")
        async with (
            distributed_stack(settings, "users", "rooms", "tasks") as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            room = await room_with_roles(client, await cast_of(client), "Board")
            tia, allowed = room.tia, []
            for n in range(ROUNDS // 2):
                await create_task(client, tia, room.id, f"round {n}")
                await set_role(client, room.owner, room.id, tia.id, "viewer")
                write = await client.post(
                    f"{ROOMS}/{room.id}/tasks", json={"title": "viewer"}, headers=tia.headers
                )
                allowed += [write.status_code] if write.status_code != 403 else []
                removed = await client.delete(
                    f"{_members(room)}/{tia.id}", headers=room.owner.headers
                )
                assert removed.status_code == 204
                write = await client.post(
                    f"{ROOMS}/{room.id}/tasks", json={"title": "after"}, headers=tia.headers
                )
                allowed += [write.status_code] if write.status_code != 404 else []
                await _add(client, room, tia.id, "member")
            assert allowed == []

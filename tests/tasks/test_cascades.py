"""What other services' events do to tasks, with real events from rooms and users."""

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select

from tasksync.common.db import Database
from tasksync.tasks.models import Task
from tests.helpers.builders import DEFAULT_PASSWORD, signed_up
from tests.helpers.rooms import RoleRoom, create_room, join
from tests.helpers.tasks import create_task, get_task
from tests.helpers.waiting import eventually
from tests.tasks.conftest import replica_roles


async def _task_count(tasks_db: Database, room_id: str) -> int:
    async with tasks_db.sessionmaker() as session:
        query = select(func.count()).select_from(Task).where(Task.room_id == UUID(room_id))
        return (await session.scalar(query)) or 0


async def _assignee(client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]) -> Any:
    return (await get_task(client, room.owner, task["id"])).json()["assignee_id"]


class TestRoomDeleted:
    async def test_its_tasks_and_memberships_go_with_it(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        tasks = [await create_task(client, room.member, room.id) for _ in range(3)]
        other = await create_room(client, room.member, "Other")
        kept = await create_task(client, room.member, other["id"])
        response = await client.delete(f"/api/v1/rooms/{room.id}", headers=room.owner.headers)
        assert response.status_code == 204, response.text

        async def emptied() -> bool:
            return await _task_count(tasks_db, room.id) == 0 and not await replica_roles(
                tasks_db, room.id
            )

        await eventually(emptied)
        for task in tasks:
            assert (await get_task(client, room.owner, task["id"])).status_code == 404
        assert (await get_task(client, room.member, kept["id"])).status_code == 200
        outbox = tasks_db.outbox.table
        async with tasks_db.sessionmaker() as session:
            deleted = await session.scalars(
                select(outbox.c.envelope).where(outbox.c.type == "task.deleted")
            )
            assert {e["data"]["task_id"] for e in deleted} == {t["id"] for t in tasks}


class TestMemberRemoved:
    async def test_their_tasks_in_that_room_are_unassigned_and_their_access_ends(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        here = await create_task(client, room.owner, room.id, assignee_id=room.member.id)
        other = await create_room(client, room.owner, "Other")
        await join(client, room.member, other["code"])
        there = await create_task(client, room.owner, other["id"], assignee_id=room.member.id)
        response = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.member.id}", headers=room.owner.headers
        )
        assert response.status_code == 204, response.text

        async def unassigned() -> bool:
            return await _assignee(client, room, here) is None

        await eventually(unassigned)
        assert room.member.id not in await replica_roles(tasks_db, room.id)
        assert (await get_task(client, room.member, here["id"])).status_code == 404
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert listed.status_code == 404
        still = await get_task(client, room.member, there["id"])
        assert still.json()["assignee_id"] == room.member.id
        unassigned_task = await get_task(client, room.owner, here["id"])
        assert unassigned_task.json()["version"] == 2


class TestAccountDeleted:
    async def test_their_assignments_are_cleared_everywhere(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        leaving = await signed_up(client, "leaving")
        await join(client, leaving, room.code)
        other = await create_room(client, room.owner, "Other")
        await join(client, leaving, other["code"])
        tasks = [
            await create_task(client, room.owner, room.id, assignee_id=leaving.id),
            await create_task(client, room.owner, other["id"], assignee_id=leaving.id),
        ]
        untouched = await create_task(client, room.owner, room.id, assignee_id=room.member.id)
        response = await client.request(
            "DELETE",
            "/api/v1/users/me",
            json={"password": DEFAULT_PASSWORD},
            headers=leaving.headers,
        )
        assert response.status_code == 204, response.text

        async def cleared() -> bool:
            return all([await _assignee(client, room, task) is None for task in tasks])

        await eventually(cleared)
        assert await _assignee(client, room, untouched) == room.member.id
        assert leaving.id not in await replica_roles(tasks_db, room.id)

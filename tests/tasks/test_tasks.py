"""Creating, reading, changing and deleting tasks: fields, numbering, status times, versions,
ETag / If-Match, Idempotency-Key, and the events they publish."""

import uuid

import httpx
from sqlalchemy import select

from tasksync.common.db import Database
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import create_task, get_task


async def _outbox(tasks_db: Database) -> list[dict]:
    outbox = tasks_db.outbox.table
    async with tasks_db.sessionmaker() as session:
        rows = await session.scalars(select(outbox.c.envelope).order_by(outbox.c.seq))
        return list(rows)


class TestCreating:
    async def test_a_new_task_has_every_field_and_its_defaults(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(
            client,
            room.member,
            room.id,
            "Write the report",
            description="# Heading\n\n*markdown* stays as written",
            priority="high",
            deadline="2030-01-02T10:00:00+02:00",
            assignee_id=room.viewer.id,
            labels=["docs", "q1", "docs"],
        )
        assert task["room_id"] == room.id
        assert task["number"] == 1
        assert uuid.UUID(task["id"]).version == 7
        assert task["status"] == "pending"
        assert task["priority"] == "high"
        assert task["deadline"] == "2030-01-02T08:00:00Z"
        assert task["assignee_id"] == room.viewer.id
        assert task["labels"] == ["docs", "q1"]
        assert task["position"] == 1.0
        assert task["created_by"] == room.member.id
        assert task["completed_at"] is None
        assert task["version"] == 1
        assert task["description"].startswith("# Heading")

    async def test_numbers_count_up_per_room(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        numbers = [(await create_task(client, room.member, room.id))["number"] for _ in range(3)]
        assert numbers == [1, 2, 3]

    async def test_the_reply_carries_an_etag_and_a_location(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        response = await client.post(
            f"/api/v1/rooms/{room.id}/tasks", json={"title": "x"}, headers=room.member.headers
        )
        assert response.status_code == 201
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"/api/v1/tasks/{response.json()['id']}"

    async def test_in_progress_may_be_written_with_a_space(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, status="in progress")
        assert task["status"] == "in_progress"

    async def test_creating_publishes_task_created(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id, priority="low")
        (event,) = [e for e in await _outbox(tasks_db) if e["type"] == "task.created"]
        assert event["data"]["task_id"] == task["id"]
        assert event["data"]["priority"] == "low"
        assert event["room_id"] == room.id
        assert event["actor_id"] == room.member.id


class TestChanging:
    async def test_each_update_bumps_the_version_and_the_etag(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        first = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "New"}, headers=room.member.headers
        )
        assert first.json()["version"] == 2
        assert first.headers["etag"] == '"2"'
        assert first.json()["updated_at"] > task["updated_at"]
        read = await get_task(client, room.viewer, task["id"])
        assert read.headers["etag"] == '"2"'

    async def test_an_update_that_changes_nothing_keeps_the_version(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, title="Same")
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "Same"}, headers=room.member.headers
        )
        assert response.json()["version"] == 1

    async def test_completing_sets_completed_at_and_reopening_clears_it(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        path = f"/api/v1/tasks/{task['id']}"
        done = await client.patch(path, json={"status": "completed"}, headers=room.member.headers)
        assert done.json()["completed_at"] is not None
        reopened = await client.patch(
            path, json={"status": "in progress"}, headers=room.member.headers
        )
        assert reopened.json()["status"] == "in_progress"
        assert reopened.json()["completed_at"] is None

    async def test_null_clears_the_deadline_the_assignee_and_the_description(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(
            client,
            room.member,
            room.id,
            description="notes",
            deadline="2030-01-01T00:00:00Z",
            assignee_id=room.member.id,
        )
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"deadline": None, "assignee_id": None, "description": None},
            headers=room.member.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["deadline"] is None
        assert response.json()["assignee_id"] is None
        assert response.json()["description"] == ""

    async def test_task_updated_carries_only_the_changed_fields(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id, title="Old", priority="low")
        await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"title": "New", "priority": "low", "assignee_id": room.admin.id},
            headers=room.member.headers,
        )
        (event,) = [e for e in await _outbox(tasks_db) if e["type"] == "task.updated"]
        assert event["data"]["changes"] == {"title": "New", "assignee_id": room.admin.id}
        assert event["data"]["version"] == 2

    async def test_deleting_publishes_task_deleted(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id)
        response = await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert response.status_code == 204
        (event,) = [e for e in await _outbox(tasks_db) if e["type"] == "task.deleted"]
        assert event["data"] == {"task_id": task["id"], "room_id": room.id, "number": 1}


class TestIfMatch:
    async def test_a_current_etag_lets_the_update_through(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"title": "Mine"},
            headers={**room.member.headers, "If-Match": '"1"'},
        )
        assert response.status_code == 200

    async def test_a_stale_etag_is_refused_with_412_and_changes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        path = f"/api/v1/tasks/{task['id']}"
        await client.patch(path, json={"title": "First"}, headers=room.member.headers)
        stale = await client.patch(
            path, json={"title": "Second"}, headers={**room.admin.headers, "If-Match": '"1"'}
        )
        assert_problem(stale, 412)
        assert (await get_task(client, room.member, task["id"])).json()["title"] == "First"

    async def test_a_stale_etag_also_protects_a_delete(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        path = f"/api/v1/tasks/{task['id']}"
        await client.patch(path, json={"title": "Changed"}, headers=room.member.headers)
        response = await client.delete(path, headers={**room.member.headers, "If-Match": '"1"'})
        assert_problem(response, 412)
        assert (await get_task(client, room.member, task["id"])).status_code == 200

    async def test_a_weak_etag_never_matches(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"title": "x"},
            headers={**room.member.headers, "If-Match": 'W/"1"'},
        )
        assert_problem(response, 412)


class TestIdempotencyKey:
    async def _create(
        self, client: httpx.AsyncClient, room: RoleRoom, key: str, body: dict, who: str = "member"
    ) -> httpx.Response:
        return await client.post(
            f"/api/v1/rooms/{room.id}/tasks",
            json=body,
            headers={**room.by_role(who).headers, "Idempotency-Key": key},
        )

    async def test_a_repeated_key_returns_the_first_result_and_creates_once(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        first = await self._create(client, room, "k-1", {"title": "Once"})
        again = await self._create(client, room, "k-1", {"title": "Once"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert len(listed.json()["items"]) == 1

    @ONE_BACKEND
    async def test_the_same_key_with_another_body_is_422(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await self._create(client, room, "k-2", {"title": "One"})
        response = await self._create(client, room, "k-2", {"title": "Two"})
        assert_problem(response, 422)
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert [t["title"] for t in listed.json()["items"]] == ["One"]

    async def test_keys_belong_to_the_person_who_sent_them(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        mine = await self._create(client, room, "shared", {"title": "Same"})
        theirs = await self._create(client, room, "shared", {"title": "Same"}, who="admin")
        assert theirs.status_code == 201
        assert theirs.json()["id"] != mine.json()["id"]

"""Who is told what: every kind for its recipients, never for the one who acted, once per
recipient per event."""

from uuid import UUID

import httpx
from fastapi import FastAPI

from tasksync.common.db import Database
from tasksync.contracts.tasks import TaskCreated
from tests.helpers.rooms import RoleRoom, set_role
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import (
    envelope,
    inbox,
    kinds_of,
    publish,
    stored,
    told,
)


async def comment(client: httpx.AsyncClient, person, task_id: str, body: str) -> None:
    response = await client.post(
        f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=person.headers
    )
    assert response.status_code == 201, response.text


class TestAssignments:
    async def test_the_assignee_is_told_with_a_link_to_room_and_task(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        (found,) = await told(client, room.tia, "assigned")
        assert found["text"] == "member_person assigned you #1 Budget"
        assert (found["room_id"], found["task_id"]) == (room.id, task["id"])
        assert found["actor_id"] == room.member.id
        assert found["read_at"] is None

    async def test_nobody_is_told_of_their_own_assignment(
        self, client: httpx.AsyncClient, room: RoleRoom, notifications_db: Database
    ) -> None:
        await create_task(client, room.member, room.id, "Mine", assignee_id=room.member.id)
        await create_task(client, room.member, room.id, "Tia's", assignee_id=room.tia.id)
        await told(client, room.tia, "assigned")
        assert await kinds_of(client, room.member, "assigned") == []

    async def test_a_reassignment_tells_the_new_assignee(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget")
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"assignee_id": room.admin.id},
            headers=room.owner.headers,
        )
        assert response.status_code == 200, response.text
        (found,) = await told(client, room.admin, "assigned")
        assert found["text"] == "owner_person assigned you #1 Budget"


class TestComments:
    async def test_mentioned_people_and_watchers_are_told_but_not_the_author(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        await comment(client, room.admin, task["id"], "Look @viewer_person")
        (mention,) = await told(client, room.viewer, "mentioned")
        assert mention["text"] == "admin_person mentioned you on #1 Budget"
        # the creator and the assignee watch the task
        (creator,) = await told(client, room.member, "commented")
        assert creator["text"] == "admin_person commented on #1 Budget"
        await told(client, room.tia, "commented")
        assert await kinds_of(client, room.admin, "commented") == []
        assert await kinds_of(client, room.viewer, "commented") == []

    async def test_a_mentioned_watcher_is_told_once(
        self, client: httpx.AsyncClient, room: RoleRoom, notifications_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget")
        await comment(client, room.admin, task["id"], "@member_person over to you")
        await told(client, room.member, "mentioned")
        assert await kinds_of(client, room.member, "commented") == []


class TestStatusChanges:
    async def test_watchers_hear_of_a_status_change_but_not_the_one_who_made_it(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"status": "in_progress"}, headers=room.tia.headers
        )
        assert response.status_code == 200, response.text
        (found,) = await told(client, room.member, "status_changed")
        assert found["text"] == "tia_person moved #1 Budget to in progress"
        assert await kinds_of(client, room.tia, "status_changed") == []


class TestRoomEvents:
    async def test_a_role_change_ownership_and_a_removal_are_told_to_the_member(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        (role,) = await kinds_of(client, room.admin, "role_changed")
        assert role["text"] == "owner_person made you admin in Board"
        assert role["room_id"] == room.id
        response = await client.post(
            f"/api/v1/rooms/{room.id}/owner",
            json={"user_id": room.admin.id},
            headers=room.owner.headers,
        )
        assert response.status_code == 200, response.text
        (owner,) = await told(client, room.admin, "ownership_received")
        assert owner["text"] == "owner_person handed you ownership of Board"
        response = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.tia.id}", headers=room.admin.headers
        )
        assert response.status_code == 204, response.text
        (removed,) = await told(client, room.tia, "removed_from_room")
        assert removed["text"] == "admin_person removed you from Board"

    async def test_someone_added_by_an_admin_is_told_but_not_who_joined_by_code(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        response = await client.post(
            f"/api/v1/rooms/{room.id}/members",
            json={"user_id": room.outsider.id, "role": "viewer"},
            headers=room.admin.headers,
        )
        assert response.status_code == 201, response.text
        (added,) = await told(client, room.outsider, "added_to_room")
        assert added["text"] == "admin_person added you to Board as viewer"
        # tia, the member, joined with the code herself
        assert await kinds_of(client, room.tia, "added_to_room") == []

    async def test_leaving_a_room_ends_watching_its_tasks(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        await told(client, room.tia, "assigned")
        response = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.tia.id}", headers=room.tia.headers
        )
        assert response.status_code == 204, response.text
        await set_role(client, room.owner, room.id, room.member.id, "admin")

        async def gone() -> bool:
            found = await client.get(
                f"/api/v1/tasks/{task['id']}/watchers", headers=room.member.headers
            )
            return [w["username"] for w in found.json()] == ["member_person"]

        await eventually(gone)


class TestOncePerEvent:
    async def test_a_redelivered_event_writes_nothing_twice(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        notifications_app: FastAPI,
        notifications_db: Database,
    ) -> None:
        task_id = UUID("01900000-0000-7000-8000-000000000001")
        sent = envelope(
            TaskCreated(
                task_id=task_id,
                room_id=UUID(room.id),
                number=99,
                title="Twice",
                status="pending",
                priority="none",
                assignee_id=UUID(room.tia.id),
                deadline=None,
                created_by=UUID(room.member.id),
            ),
            actor_id=UUID(room.member.id),
            room_id=UUID(room.id),
        )
        await publish(notifications_app, sent)
        await publish(notifications_app, sent)
        await told(client, room.tia, "assigned")
        await publish(notifications_app, sent)

        async def one() -> bool:
            return len(await stored(notifications_db, event_id=sent.id)) == 1

        await eventually(one)
        assert len(await kinds_of(client, room.tia, "assigned")) == 1
        (latest, *_) = await inbox(client, room.tia)
        assert latest["text"] == "member_person assigned you #99 Twice"

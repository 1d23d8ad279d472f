"""A room's feed, a task's history and your own activity, through the gateway: who may read
them, filters, pages, and what a deleted room leaves."""

from typing import Any

import httpx
import pytest

from tests.activity.conftest import ADMIN_AUDIT
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem
from tests.helpers.rooms import ROLES, RoleRoom, create_room
from tests.helpers.tasks import all_pages, create_task
from tests.helpers.waiting import eventually


def feed(room_id: str) -> str:
    return f"/api/v1/rooms/{room_id}/activity"


def history(task_id: str) -> str:
    return f"/api/v1/tasks/{task_id}/activity"


async def summaries_of(
    client: httpx.AsyncClient, person: Person, path: str, **params: Any
) -> list[str]:
    return [entry["summary"] for entry in await all_pages(client, person, path, **params)]


async def moved_task(client: httpx.AsyncClient, room: RoleRoom) -> dict[str, Any]:
    """A task the member created and moved to in progress, once its history shows it."""
    task = await create_task(client, room.member, room.id, "Budget")
    response = await client.patch(
        f"/api/v1/tasks/{task['id']}", json={"status": "in_progress"}, headers=room.member.headers
    )
    assert response.status_code == 200, response.text

    async def both() -> bool:
        found = await client.get(history(task["id"]), headers=room.member.headers)
        return found.status_code == 200 and len(found.json()["items"]) == 2

    await eventually(both)
    return task


class TestRoomFeed:
    async def test_every_member_reads_the_feed_newest_first(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await moved_task(client, room)
        for role in ROLES:
            summaries = await summaries_of(client, room.by_role(role), feed(room.id))
            assert summaries[:2] == [
                "member_person moved #1 Budget from pending to in progress",
                "member_person created #1 Budget",
            ], role
            assert summaries[-1] == "owner_person created the room Board", role

    @ONE_BACKEND
    async def test_an_outsider_gets_404_and_an_anonymous_caller_401(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await moved_task(client, room)
        assert_problem(await client.get(feed(room.id), headers=room.outsider.headers), 404)
        assert_problem(await client.get(feed(room.id)), 401)

    async def test_filters_by_several_types_with_prefixes_and_by_actor(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await moved_task(client, room)
        tasks_only = await all_pages(client, room.owner, feed(room.id), type=["task.*"])
        assert [e["type"] for e in tasks_only] == ["task.updated", "task.created"]
        mixed = await all_pages(
            client, room.owner, feed(room.id), type=["task.created", "room.created"]
        )
        assert [e["type"] for e in mixed] == ["task.created", "room.created"]
        by_owner = await all_pages(client, room.owner, feed(room.id), actor=room.owner.id)
        assert by_owner
        assert all(e["actor_id"] == room.owner.id for e in by_owner)

    async def test_filters_by_time(self, client: httpx.AsyncClient, room: RoleRoom) -> None:
        await moved_task(client, room)
        items = await all_pages(client, room.owner, feed(room.id))
        newest = items[0]["occurred_at"]
        assert [
            e["id"] for e in await all_pages(client, room.owner, feed(room.id), since=newest)
        ] == [items[0]["id"]]
        older = await all_pages(client, room.owner, feed(room.id), until=newest)
        assert [e["id"] for e in older] == [e["id"] for e in items[1:]]

    async def test_pages_walk_every_entry_once(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await moved_task(client, room)
        whole = await all_pages(client, room.owner, feed(room.id))
        paged = await all_pages(client, room.owner, feed(room.id), limit=2)
        assert [e["id"] for e in paged] == [e["id"] for e in whole]
        assert [e["seq"] for e in whole] == sorted((e["seq"] for e in whole), reverse=True)

    @pytest.mark.only_backend("sqlite")  # validation, before any query
    @pytest.mark.parametrize(
        "params",
        [
            {"type": "task.*.*"},
            {"type": "Task"},
            {"since": "yesterday"},
            {"since": "2026-01-01"},
            {"actor": "ann"},
            {"limit": 0},
        ],
    )
    async def test_a_bad_filter_is_a_422(
        self, client: httpx.AsyncClient, room: RoleRoom, params: dict[str, Any]
    ) -> None:
        body = assert_problem(
            await client.get(feed(room.id), params=params, headers=room.owner.headers), 422
        )
        assert body["errors"]

    async def test_a_cursor_not_given_out_by_the_feed_is_a_400(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        response = await client.get(
            feed(room.id), params={"cursor": "bm9wZQ"}, headers=room.owner.headers
        )
        assert_problem(response, 400)


class TestTaskHistory:
    async def test_every_member_reads_the_history_field_by_field(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await moved_task(client, room)
        for role in ROLES:
            items = await all_pages(client, room.by_role(role), history(task["id"]))
            assert [e["type"] for e in items] == ["task.updated", "task.created"], role
            changes = [{"field": "status", "old": "pending", "new": "in_progress"}]
            assert items[0]["changes"] == changes, role
            assert items[0]["subject_label"] == "#1 Budget", role

    @ONE_BACKEND
    async def test_an_outsider_gets_404_like_for_a_task_that_never_was(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await moved_task(client, room)
        outsider = assert_problem(
            await client.get(history(task["id"]), headers=room.outsider.headers), 404
        )
        unknown = assert_problem(
            await client.get(history(room.id), headers=room.owner.headers), 404
        )
        assert outsider["detail"] == unknown["detail"]
        assert_problem(await client.get(history(task["id"])), 401)

    async def test_a_deleted_task_keeps_its_history(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await moved_task(client, room)
        gone = await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert gone.status_code == 204

        async def three() -> bool:
            found = await client.get(history(task["id"]), headers=room.viewer.headers)
            return len(found.json()["items"]) == 3

        await eventually(three)


class TestMyActivity:
    async def test_you_see_what_you_did_and_not_what_others_did(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await moved_task(client, room)
        mine = await all_pages(client, room.member, "/api/v1/users/me/activity")
        assert mine
        assert all(e["actor_id"] == room.member.id for e in mine)
        assert "member_person created #1 Budget" in [e["summary"] for e in mine]
        outsiders = await all_pages(client, room.outsider, "/api/v1/users/me/activity")
        assert all(e["actor_id"] == room.outsider.id for e in outsiders)
        assert_problem(await client.get("/api/v1/users/me/activity"), 401)


class TestDeletedRoom:
    async def test_members_lose_the_feed_and_history_but_the_audit_keeps_them(
        self, client: httpx.AsyncClient, room: RoleRoom, root: Person
    ) -> None:
        task = await moved_task(client, room)
        deleted = await client.delete(f"/api/v1/rooms/{room.id}", headers=room.owner.headers)
        assert deleted.status_code == 204, deleted.text

        async def audited() -> bool:
            found = await client.get(
                ADMIN_AUDIT, params={"room": room.id, "type": "room.deleted"}, headers=root.headers
            )
            return len(found.json()["items"]) == 1

        await eventually(audited)
        for role in ("owner", "member", "viewer"):
            person = room.by_role(role)
            assert_problem(await client.get(feed(room.id), headers=person.headers), 404)
            assert_problem(await client.get(history(task["id"]), headers=person.headers), 404)
        kept = await all_pages(client, root, ADMIN_AUDIT, subject=task["id"])
        assert [e["type"] for e in kept] == ["task.deleted", "task.updated", "task.created"]


class TestSystemAdministratorOutsideTheRoom:
    async def test_reads_the_room_in_the_audit_but_not_as_a_feed(
        self, client: httpx.AsyncClient, room: RoleRoom, root: Person
    ) -> None:
        task = await moved_task(client, room)
        assert_problem(await client.get(feed(room.id), headers=root.headers), 404)
        assert_problem(await client.get(history(task["id"]), headers=root.headers), 404)
        audited = await all_pages(client, root, ADMIN_AUDIT, subject=task["id"])
        assert [e["type"] for e in audited] == ["task.updated", "task.created"]


class TestAdminAudit:
    async def test_only_system_administrators_read_the_audit(
        self, client: httpx.AsyncClient, room: RoleRoom, root: Person
    ) -> None:
        await moved_task(client, room)
        for person in (room.owner, room.member, room.outsider):
            for path in (ADMIN_AUDIT, f"{ADMIN_AUDIT}/export", f"{ADMIN_AUDIT}/verify"):
                assert_problem(await client.get(path, headers=person.headers), 403)
        for path in (ADMIN_AUDIT, f"{ADMIN_AUDIT}/export", f"{ADMIN_AUDIT}/verify"):
            assert_problem(await client.get(path), 401)
        everything = await all_pages(client, root, ADMIN_AUDIT)
        assert {"user.registered", "room.created", "member.added", "task.updated"} <= {
            e["type"] for e in everything
        }

    async def test_filters_by_room_subject_type_and_actor(
        self, client: httpx.AsyncClient, room: RoleRoom, root: Person
    ) -> None:
        task = await moved_task(client, room)
        other = await create_room(client, room.outsider, "Elsewhere")

        async def other_recorded() -> bool:
            found = await client.get(
                ADMIN_AUDIT, params={"room": other["id"]}, headers=root.headers
            )
            return len(found.json()["items"]) >= 1

        await eventually(other_recorded)
        in_room = await all_pages(client, root, ADMIN_AUDIT, room=room.id)
        assert in_room
        assert all(e["room_id"] == room.id for e in in_room)
        about_task = await all_pages(client, root, ADMIN_AUDIT, subject=task["id"])
        assert [e["type"] for e in about_task] == ["task.updated", "task.created"]
        accounts = await all_pages(client, root, ADMIN_AUDIT, type=["user.*"], actor=room.tia.id)
        assert [e["summary"] for e in accounts] == [
            "tia_person signed in",
            "tia_person created an account",
        ]


class TestNoSecrets:
    async def test_no_entry_holds_the_join_code_a_token_or_a_password(
        self, client: httpx.AsyncClient, room: RoleRoom, root: Person
    ) -> None:
        await moved_task(client, room)
        rotated = await client.post(f"/api/v1/rooms/{room.id}/code", headers=room.owner.headers)
        changed = await client.patch(
            "/api/v1/users/me",
            json={"password": "another long one", "current_password": room.tia.password},
            headers=room.tia.headers,
        )
        assert changed.status_code == 200, changed.text
        secrets = [room.code, room.tia.password, "another long one"]
        secrets += [p.access_token for p in (room.owner, room.tia, root)]
        secrets += [p.refresh_token for p in (room.owner, room.tia, root)]
        assert rotated.status_code == 200, rotated.text
        secrets.append(rotated.json()["code"])

        async def rotation_recorded() -> bool:
            found = await client.get(
                ADMIN_AUDIT, params={"type": "room.code_rotated"}, headers=root.headers
            )
            return len(found.json()["items"]) == 1

        await eventually(rotation_recorded)
        export = await client.get(f"{ADMIN_AUDIT}/export", headers=root.headers)
        assert export.status_code == 200
        assert export.text.count("\n") >= 10
        for secret in secrets:
            assert secret not in export.text

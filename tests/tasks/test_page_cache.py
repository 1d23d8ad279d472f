"""Cached list pages: a board read again is served from memory, and never outlives a write."""

from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import select

from tasksync.common.db import Database
from tasksync.common.pagination import PageParams
from tasksync.tasks.models import RoomCounter
from tasksync.tasks.page_cache import PageCache, page_key
from tasksync.tasks.queries import Sort, TaskFilter
from tests.helpers.builders import Person
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually


async def _titles(
    client: httpx.AsyncClient, person: Person, room: RoleRoom, **params: Any
) -> list[tuple[str, str | None]]:
    """(title, assignee id) of each task on the first page of the room's list."""
    response = await client.get(
        f"/api/v1/rooms/{room.id}/tasks", params=params, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return [(t["title"], t["assignee_id"]) for t in response.json()["items"]]


async def _version(tasks_db: Database, room_id: str) -> int:
    async with tasks_db.sessionmaker() as session:
        query = select(RoomCounter.version).where(RoomCounter.room_id == UUID(room_id))
        return (await session.scalar(query)) or 0


class TestListsAfterWrites:
    async def test_a_list_read_again_shows_every_kind_of_write(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        first = await create_task(client, room.member, room.id, "First")
        assert await _titles(client, room.viewer, room) == [("First", None)]
        await create_task(client, room.member, room.id, "Second")
        assert await _titles(client, room.viewer, room) == [("First", None), ("Second", None)]
        renamed = await client.patch(
            f"/api/v1/tasks/{first['id']}",
            json={"title": "Renamed", "assignee_id": room.member.id},
            headers=room.member.headers,
        )
        assert renamed.status_code == 200, renamed.text
        assert await _titles(client, room.viewer, room) == [
            ("Renamed", room.member.id),
            ("Second", None),
        ]
        deleted = await client.delete(f"/api/v1/tasks/{first['id']}", headers=room.admin.headers)
        assert deleted.status_code == 204, deleted.text
        assert await _titles(client, room.viewer, room) == [("Second", None)]

    async def test_an_unassignment_by_a_cascade_shows_on_a_cached_page(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await create_task(client, room.owner, room.id, "Theirs", assignee_id=room.member.id)
        assert await _titles(client, room.owner, room) == [("Theirs", room.member.id)]
        left = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.member.id}", headers=room.admin.headers
        )
        assert left.status_code == 204, left.text

        async def unassigned() -> bool:
            return await _titles(client, room.owner, room) == [("Theirs", None)]

        await eventually(unassigned)

    async def test_every_write_bumps_the_room_version_other_replicas_read(
        self, client: httpx.AsyncClient, room: RoleRoom, tasks_db: Database
    ) -> None:
        before = await _version(tasks_db, room.id)
        task = await create_task(client, room.member, room.id)
        created = await _version(tasks_db, room.id)
        await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"status": "completed"}, headers=room.member.headers
        )
        updated = await _version(tasks_db, room.id)
        await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert before < created < updated < await _version(tasks_db, room.id)

    async def test_assigned_to_me_is_each_callers_own_page(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await create_task(client, room.owner, room.id, "Mia's", assignee_id=room.member.id)
        await create_task(client, room.owner, room.id, "Adam's", assignee_id=room.admin.id)
        assert await _titles(client, room.member, room, assignee="me") == [
            ("Mia's", room.member.id)
        ]
        assert await _titles(client, room.admin, room, assignee="me") == [("Adam's", room.admin.id)]

    async def test_a_cached_page_is_not_served_to_an_outsider(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await create_task(client, room.owner, room.id)
        await _titles(client, room.owner, room)
        response = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.outsider.headers)
        assert response.status_code == 404


def _key(**changes: Any) -> Any:
    fields: dict[str, Any] = {
        "room_id": UUID(int=1),
        "version": 3,
        "caller_id": UUID(int=2),
        "filters": TaskFilter(),
        "sort": Sort("number"),
        "page": PageParams(),
    }
    return page_key(**(fields | changes))


class TestPageKey:
    def test_members_share_a_page_and_versions_do_not(self) -> None:
        assert _key() == _key(caller_id=uuid4())
        assert _key() != _key(version=4)
        assert _key() != _key(sort=Sort("number", descending=True))
        assert _key() != _key(page=PageParams(limit=20))

    def test_overdue_lists_are_never_cached(self) -> None:
        assert _key(filters=TaskFilter(overdue=True)) is None
        assert _key(filters=TaskFilter(overdue=False)) is None

    def test_assigned_to_me_pages_belong_to_their_caller(self) -> None:
        mine = TaskFilter(assignee="me")
        assert _key(filters=mine) != _key(filters=mine, caller_id=uuid4())


class TestPageCache:
    def test_least_recently_used_pages_go_first_when_full(self) -> None:
        cache = PageCache(max_bytes=10)
        cache.put(("a",), b"1234")
        cache.put(("b",), b"1234")
        assert cache.get(("a",)) == b"1234"  # now the most recent
        cache.put(("c",), b"1234")
        assert cache.get(("b",)) is None
        assert cache.get(("a",)) == b"1234"
        assert cache.get(("c",)) == b"1234"
        assert cache.size == 8

    def test_a_cache_of_no_size_keeps_nothing(self) -> None:
        cache = PageCache(max_bytes=0)
        cache.put(("a",), b"{}")
        assert cache.get(("a",)) is None

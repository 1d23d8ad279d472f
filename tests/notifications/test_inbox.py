"""The inbox routes: newest first, unread only, counts, reading, deleting; someone else's
notification is a 404 like one that does not exist."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.notifications.models import event_tables
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import all_pages, create_task
from tests.notifications.conftest import INBOX, inbox, told


async def three_assignments(client: httpx.AsyncClient, room: RoleRoom) -> list[dict[str, Any]]:
    for title in ("One", "Two", "Three"):
        await create_task(client, room.member, room.id, title, assignee_id=room.tia.id)
    return await told(client, room.tia, "assigned", 3)


class TestReading:
    async def test_newest_first_in_pages(self, client: httpx.AsyncClient, room: RoleRoom) -> None:
        await three_assignments(client, room)
        items = await all_pages(client, room.tia, INBOX, limit=2)
        assert [item["text"].rsplit(" ", 1)[1] for item in items] == ["Three", "Two", "One"]

    async def test_unread_filter_count_read_and_read_all(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        first, *_ = await three_assignments(client, room)
        count = await client.get(f"{INBOX}/unread-count", headers=room.tia.headers)
        assert count.json() == {"unread": 3}
        read = await client.post(f"{INBOX}/{first['id']}/read", headers=room.tia.headers)
        assert read.status_code == 200, read.text
        assert read.json()["read_at"] is not None
        assert len(await inbox(client, room.tia, unread="true")) == 2
        everything = await client.post(f"{INBOX}/read-all", headers=room.tia.headers)
        assert everything.json() == {"marked": 2}
        count = await client.get(f"{INBOX}/unread-count", headers=room.tia.headers)
        assert count.json() == {"unread": 0}
        assert len(await inbox(client, room.tia)) == 3

    async def test_delete_takes_one_away(self, client: httpx.AsyncClient, room: RoleRoom) -> None:
        first, *_ = await three_assignments(client, room)
        deleted = await client.delete(f"{INBOX}/{first['id']}", headers=room.tia.headers)
        assert deleted.status_code == 204
        assert first["id"] not in [item["id"] for item in await inbox(client, room.tia)]
        again = await client.delete(f"{INBOX}/{first['id']}", headers=room.tia.headers)
        assert_problem(again, 404)


@ONE_BACKEND
class TestSomeoneElses:
    @pytest.mark.parametrize("action", ["read", "delete"])
    async def test_someone_elses_notification_is_404_and_unchanged(
        self, client: httpx.AsyncClient, room: RoleRoom, action: str
    ) -> None:
        first, *_ = await three_assignments(client, room)
        path = f"{INBOX}/{first['id']}"
        for person in (room.owner, room.member, room.outsider):
            if action == "read":
                response = await client.post(f"{path}/read", headers=person.headers)
            else:
                response = await client.delete(path, headers=person.headers)
            assert_problem(response, 404)
        assert [n["read_at"] for n in await inbox(client, room.tia)] == [None, None, None]

    async def test_read_all_touches_only_your_own(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await three_assignments(client, room)
        response = await client.post(f"{INBOX}/read-all", headers=room.outsider.headers)
        assert response.json() == {"marked": 0}
        assert len(await inbox(client, room.tia, unread="true")) == 3


@ONE_BACKEND
class TestBadInput:
    async def test_anonymous_callers_get_401(self, client: httpx.AsyncClient) -> None:
        for method, path in (
            ("GET", INBOX),
            ("GET", f"{INBOX}/unread-count"),
            ("POST", f"{INBOX}/read-all"),
            ("POST", f"{INBOX}/01900000-0000-7000-8000-000000000001/read"),
            ("DELETE", f"{INBOX}/01900000-0000-7000-8000-000000000001"),
        ):
            assert_problem(await client.request(method, path), 401)

    async def test_a_malformed_id_a_cursor_and_a_limit_are_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        headers = room.tia.headers
        assert_problem(await client.post(f"{INBOX}/nope/read", headers=headers), 422)
        assert_problem(await client.get(INBOX, params={"cursor": "x"}, headers=headers), 400)
        assert_problem(await client.get(INBOX, params={"limit": 0}, headers=headers), 422)
        assert_problem(await client.get(INBOX, params={"unread": "maybe"}, headers=headers), 422)


class TestAnnounced:
    async def test_each_inbox_notification_is_announced_to_its_owner_alone(
        self, client: httpx.AsyncClient, room: RoleRoom, notifications_app: FastAPI
    ) -> None:
        (found,) = (await three_assignments(client, room))[:1]
        outbox = event_tables.outbox
        async with notifications_app.state.kit.db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(outbox.c.envelope).where(outbox.c.type == "notification.created")
                )
            ).scalars()
            announced = [row for row in rows if row["data"]["notification_id"] == found["id"]]
        (envelope,) = announced
        assert envelope["room_id"] is None  # personal: realtime pushes it to tia alone
        assert envelope["data"]["user_id"] == room.tia.id
        assert envelope["data"]["task_id"] == found["task_id"]

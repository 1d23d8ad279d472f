"""Preferences: per kind in the inbox and by e-mail, and how e-mail is delivered; sensible
defaults; bad input changes nothing."""

from uuid import UUID

import httpx
import pytest

from tasksync.common.db import Database
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem, signed_up
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import create_task
from tests.notifications.conftest import INBOX, kinds_of, stored, told

PREFERENCES = f"{INBOX}/preferences"


async def preferences_of(client: httpx.AsyncClient, person: Person) -> dict:
    response = await client.get(PREFERENCES, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestDefaults:
    async def test_everything_in_the_inbox_and_the_important_kinds_by_email_at_once(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        found = await preferences_of(client, ann)
        assert found["email_delivery"] == "immediate"
        assert all(choice["in_app"] for choice in found["kinds"].values())
        emailed = {kind for kind, choice in found["kinds"].items() if choice["email"]}
        assert emailed == {
            "assigned",
            "mentioned",
            "deadline_soon",
            "deadline_passed",
            "webhook_disabled",
        }


class TestChanging:
    async def test_only_what_is_given_changes(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            PREFERENCES,
            json={"kinds": {"commented": {"email": True}}, "email_delivery": "daily"},
            headers=ann.headers,
        )
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["kinds"]["commented"] == {"in_app": True, "email": True}
        assert found["email_delivery"] == "daily"
        response = await client.patch(
            PREFERENCES, json={"kinds": {"assigned": {"in_app": False}}}, headers=ann.headers
        )
        found = response.json()
        assert found["kinds"]["commented"] == {"in_app": True, "email": True}
        assert found["kinds"]["assigned"] == {"in_app": False, "email": True}
        assert found["email_delivery"] == "daily"
        assert await preferences_of(client, ann) == found

    async def test_a_kind_switched_off_everywhere_writes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom, notifications_db: Database
    ) -> None:
        response = await client.patch(
            PREFERENCES,
            json={"kinds": {"assigned": {"in_app": False, "email": False}}},
            headers=room.tia.headers,
        )
        assert response.status_code == 200, response.text
        await create_task(client, room.member, room.id, "Quiet", assignee_id=room.tia.id)
        await create_task(client, room.member, room.id, "Loud", assignee_id=room.admin.id)
        await told(client, room.admin, "assigned")
        assert await kinds_of(client, room.tia, "assigned") == []
        assert await stored(notifications_db, kind="assigned") != []
        assert await stored(notifications_db, user_id=UUID(room.tia.id), kind="assigned") == []

    async def test_a_kind_off_in_the_inbox_but_emailed_is_not_listed(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        await client.patch(
            PREFERENCES, json={"kinds": {"assigned": {"in_app": False}}}, headers=room.tia.headers
        )
        await create_task(client, room.member, room.id, "Mailed", assignee_id=room.tia.id)
        await create_task(client, room.member, room.id, "Listed", assignee_id=room.admin.id)
        await told(client, room.admin, "assigned")
        assert await kinds_of(client, room.tia, "assigned") == []
        count = await client.get(f"{INBOX}/unread-count", headers=room.tia.headers)
        assert count.json() == {"unread": 0}


class TestBadInput:
    @pytest.mark.only_backend("sqlite")  # validation, before any query
    async def test_refused_with_422_and_nothing_changes(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        before = await preferences_of(client, ann)
        for body in [
            {"kinds": {"unknown_kind": {"email": True}}},
            {"kinds": {"assigned": {"sms": True}}},
            {"kinds": {"assigned": {"email": "sometimes"}}},
            {"email_delivery": "weekly"},
            {"colour": "blue"},
            {"kinds": ["assigned"]},
        ]:
            response = await client.patch(PREFERENCES, json=body, headers=ann.headers)
            assert response.status_code == 422, body
            assert_problem(response, 422)
        assert await preferences_of(client, ann) == before

    @ONE_BACKEND
    async def test_anonymous_callers_get_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(PREFERENCES), 401)
        assert_problem(await client.patch(PREFERENCES, json={}), 401)

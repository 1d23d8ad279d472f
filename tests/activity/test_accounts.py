"""Account events from the users service reach the audit: sign-ins, failed sign-ins counted
per account and minute, sign-outs, password changes, a reused refresh token, administration
granted and removed, deactivation and deletion."""

from datetime import timedelta

import httpx
from fastapi import FastAPI

from tasksync.common.clock import utcnow
from tasksync.users import service
from tests.activity.conftest import ADMIN_AUDIT
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, signed_up
from tests.helpers.tasks import all_pages
from tests.helpers.waiting import eventually


async def account_lines(
    client: httpx.AsyncClient, root: Person, person: Person, count: int
) -> list[str]:
    """The summaries of the audit's entries about `person`, oldest first, once `count`."""

    async def enough() -> list[str] | None:
        found = await all_pages(client, root, ADMIN_AUDIT, subject=person.id)
        return [e["summary"] for e in reversed(found)] if len(found) >= count else None

    return await eventually(enough)


class TestAccountEvents:
    async def test_signing_in_out_and_changing_the_password_are_recorded(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        changed = await client.patch(
            "/api/v1/users/me",
            json={"password": "a new long one", "current_password": ann.password},
            headers=ann.headers,
        )
        assert changed.status_code == 200
        out = await client.post("/api/v1/auth/logout", json={"refresh_token": ann.refresh_token})
        assert out.status_code == 204
        assert await account_lines(client, root, ann, 4) == [
            "ann created an account",
            "ann signed in",
            "ann changed their password",
            "ann signed out",
        ]

    async def test_a_burst_of_wrong_passwords_is_one_entry_with_its_count(
        self, client: httpx.AsyncClient, root: Person, stack_app: FastAPI
    ) -> None:
        ann = await signed_up(client, "ann")
        for _ in range(3):
            wrong = await client.post(
                "/api/v1/auth/login", json={"username": "ann", "password": "not the password"}
            )
            assert wrong.status_code == 401
        users_db = stack_app.state.mounted["users"].state.kit.db
        # The minute is over (announcing again finds nothing more to say).
        for _ in range(2):
            async with users_db.sessionmaker.begin() as session:
                await service.announce_failures(session, now=utcnow() + timedelta(minutes=1))
        lines = await account_lines(client, root, ann, 3)
        assert lines[:2] == ["ann created an account", "ann signed in"]
        assert lines[2].startswith("signing in as ann failed 3 times (minute ")
        failed = await all_pages(
            client, root, ADMIN_AUDIT, subject=ann.id, type=["user.sign_in_failed"]
        )
        assert len(failed) == 1
        assert failed[0]["changes"] == [{"field": "failures", "new": 3}]

    async def test_a_reused_refresh_token_is_recorded(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        body = {"refresh_token": ann.refresh_token}
        assert (await client.post("/api/v1/auth/refresh", json=body)).status_code == 200
        assert (await client.post("/api/v1/auth/refresh", json=body)).status_code == 401
        lines = await account_lines(client, root, ann, 3)
        assert lines[2] == (
            "ann had a used refresh token presented again; that session was signed out"
        )

    async def test_administration_and_deactivation_are_recorded_with_who_did_them(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        for change in (
            {"is_admin": True},
            {"is_admin": False},
            {"is_active": False},
            {"is_active": True},
        ):
            response = await client.patch(
                f"/api/v1/admin/users/{ann.id}", json=change, headers=root.headers
            )
            assert response.status_code == 200, response.text
        lines = await account_lines(client, root, ann, 6)
        assert lines[2:] == [
            "root made a system administrator: ann",
            "root removed system administration from ann",
            "root deactivated ann",
            "root reactivated ann",
        ]
        promoted = await account_lines(client, root, root, 3)
        assert "TaskSync made a system administrator: root" in promoted

    async def test_a_deleted_account_is_recorded_and_its_entries_kept(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        gone = await client.request(
            "DELETE", "/api/v1/users/me", json={"password": ann.password}, headers=ann.headers
        )
        assert gone.status_code == 204
        lines = await account_lines(client, root, ann, 3)
        assert lines == ["ann created an account", "ann signed in", "ann deleted their account"]

    @ONE_BACKEND
    async def test_an_unknown_username_records_nothing(
        self, client: httpx.AsyncClient, root: Person, stack_app: FastAPI
    ) -> None:
        ann = await signed_up(client, "ann")
        for username in ("nobody", "ann"):
            wrong = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": "whatever it is"}
            )
            assert wrong.status_code == 401
        users_db = stack_app.state.mounted["users"].state.kit.db
        async with users_db.sessionmaker.begin() as session:
            await service.announce_failures(session, now=utcnow() + timedelta(minutes=1))
        await account_lines(client, root, ann, 3)
        found = await all_pages(client, root, ADMIN_AUDIT, type=["user.sign_in_failed"])
        assert [e["subject_id"] for e in found] == [ann.id]

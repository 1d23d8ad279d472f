"""System administration: listing accounts, deactivating them, granting administration."""

import uuid
from typing import Any

import httpx
import pytest

from tasksync.common.errors import NotFound
from tasksync.users import commands
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem, login, register, signed_up

ADMIN_USERS = "/api/v1/admin/users"


@pytest.fixture
async def root(client: httpx.AsyncClient, users_settings: Any) -> Person:
    """A signed-in system administrator, promoted the way an operator does it."""
    person = await signed_up(client, "root")
    await commands.promote(users_settings, "ROOT")
    return person


async def _set(
    client: httpx.AsyncClient, admin: Person, user_id: str, **changes: bool
) -> httpx.Response:
    return await client.patch(f"{ADMIN_USERS}/{user_id}", headers=admin.headers, json=changes)


async def _login(client: httpx.AsyncClient, person: Person) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": person.username, "password": person.password}
    )


@ONE_BACKEND
class TestAdminAccess:
    async def test_a_normal_user_gets_403_on_the_admin_list(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        assert_problem(await client.get(ADMIN_USERS, headers=ann.headers), 403)

    async def test_a_normal_user_gets_403_when_changing_an_account_and_nothing_changes(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        bob = await signed_up(client, "bob")
        response = await _set(client, ann, bob.id, is_active=False)
        assert_problem(response, 403)
        response = await _set(client, ann, ann.id, is_admin=True)
        assert_problem(response, 403)
        assert (await _login(client, bob)).status_code == 200
        assert_problem(await client.get(ADMIN_USERS, headers=ann.headers), 403)

    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", ADMIN_USERS), ("PATCH", f"{ADMIN_USERS}/{uuid.UUID(int=1)}")],
    )
    async def test_an_anonymous_caller_gets_401(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path, json={"is_active": False})
        assert_problem(response, 401)

    async def test_a_promoted_user_can_use_the_admin_routes_with_the_token_they_already_had(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        response = await client.get(ADMIN_USERS, headers=root.headers)
        assert response.status_code == 200, response.text

    async def test_promoting_an_unknown_user_says_so(self, users_settings: Any) -> None:
        with pytest.raises(NotFound):
            await commands.promote(users_settings, "ghost")


class TestAdminListing:
    async def test_the_admin_list_shows_every_account_with_email_and_status(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        await register(client, "ann", email="ann@example.com")
        bob = await signed_up(client, "bob")
        await _set(client, root, bob.id, is_active=False)
        page = (await client.get(ADMIN_USERS, headers=root.headers)).json()
        accounts = {item["username"]: item for item in page["items"]}
        assert set(accounts) == {"ann", "bob", "root"}
        assert accounts["ann"]["email"] == "ann@example.com"
        assert accounts["bob"]["is_active"] is False
        assert accounts["root"]["is_admin"] is True

    async def test_the_admin_list_pages_and_filters_like_the_search(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        for name in ("ann", "anna", "bob"):
            await register(client, name)
        first = (
            await client.get(ADMIN_USERS, params={"q": "an", "limit": 1}, headers=root.headers)
        ).json()
        assert [item["username"] for item in first["items"]] == ["ann"]
        params = {"q": "an", "limit": 1, "cursor": first["next_cursor"]}
        second = (await client.get(ADMIN_USERS, params=params, headers=root.headers)).json()
        assert [item["username"] for item in second["items"]] == ["anna"]
        assert second["next_cursor"] is None


class TestDeactivation:
    async def test_a_deactivated_user_cannot_sign_in(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await _set(client, root, ann.id, is_active=False)
        assert response.status_code == 200, response.text
        assert response.json()["is_active"] is False
        assert_problem(await _login(client, ann), 403)

    async def test_a_deactivated_user_with_a_wrong_password_learns_nothing_more(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        await _set(client, root, ann.id, is_active=False)
        response = await client.post(
            "/api/v1/auth/login", json={"username": "ann", "password": "not the password"}
        )
        assert_problem(response, 401)

    async def test_a_deactivated_user_cannot_refresh_or_use_their_access_token(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        await _set(client, root, ann.id, is_active=False)
        response = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token}
        )
        assert_problem(response, 401)
        assert_problem(await client.get("/api/v1/users/me", headers=ann.headers), 401)

    async def test_reactivating_restores_sign_in(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        await _set(client, root, ann.id, is_active=False)
        response = await _set(client, root, ann.id, is_active=True)
        assert response.json()["is_active"] is True
        tokens = (await _login(client, ann)).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200

    async def test_sessions_from_before_a_deactivation_stay_signed_out_after_reactivation(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        await _set(client, root, ann.id, is_active=False)
        await _set(client, root, ann.id, is_active=True)
        response = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token}
        )
        assert_problem(response, 401)

    @ONE_BACKEND
    async def test_deactivating_an_unknown_account_is_a_404(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        assert_problem(await _set(client, root, str(uuid.uuid4()), is_active=False), 404)

    async def test_a_deactivated_admin_loses_admin_access(
        self, client: httpx.AsyncClient, root: Person, users_settings: Any
    ) -> None:
        ann = await signed_up(client, "ann")
        await commands.promote(users_settings, "ann")
        await _set(client, root, ann.id, is_active=False)
        assert_problem(await client.get(ADMIN_USERS, headers=ann.headers), 401)


class TestGrantingAdministration:
    async def test_an_admin_can_make_someone_else_an_admin_and_take_it_back(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await _set(client, root, ann.id, is_admin=True)
        assert response.json()["is_admin"] is True
        assert (await client.get(ADMIN_USERS, headers=ann.headers)).status_code == 200
        await _set(client, root, ann.id, is_admin=False)
        assert_problem(await client.get(ADMIN_USERS, headers=ann.headers), 403)

    async def test_an_admin_cannot_deactivate_themselves(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        assert_problem(await _set(client, root, root.id, is_active=False), 409)
        assert (await login(client, "root"))["access_token"]

    async def test_an_admin_cannot_demote_themselves(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        assert_problem(await _set(client, root, root.id, is_admin=False), 409)
        assert (await client.get(ADMIN_USERS, headers=root.headers)).status_code == 200

    async def test_an_admin_may_confirm_their_own_status(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        response = await _set(client, root, root.id, is_admin=True, is_active=True)
        assert response.status_code == 200, response.text

    @ONE_BACKEND
    async def test_an_admin_change_with_unknown_fields_is_a_422(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            f"{ADMIN_USERS}/{ann.id}", headers=root.headers, json={"is_superuser": True}
        )
        assert_problem(response, 422)

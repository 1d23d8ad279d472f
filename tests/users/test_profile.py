"""Your own profile, password changes, account deletion, and finding other people."""

import base64
import uuid

import httpx

from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem, login, register, signed_up

ME = "/api/v1/users/me"
USERS = "/api/v1/users"


async def _refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


async def _login_status(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    return response.status_code


async def _me(client: httpx.AsyncClient, person: Person) -> dict:
    response = await client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestOwnProfile:
    async def test_patch_changes_the_given_fields_and_answers_the_new_profile(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            ME,
            headers=ann.headers,
            json={"username": "ann.lee", "email": "ann@example.com", "full_name": "Ann Lee"},
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert changed["username"] == "ann.lee"
        assert changed["email"] == "ann@example.com"
        assert changed["full_name"] == "Ann Lee"
        assert await _me(client, ann) == changed
        assert await _login_status(client, "ann.lee", ann.password) == 200
        assert await _login_status(client, "ann", ann.password) == 401

    async def test_fields_left_out_of_a_patch_stay_as_they_were(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com", full_name="Ann")
        response = await client.patch(ME, headers=ann.headers, json={"full_name": "Ann Lee"})
        assert response.json()["email"] == "ann@example.com"
        assert response.json()["username"] == "ann"

    async def test_email_and_full_name_can_be_cleared_with_null(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com", full_name="Ann")
        await client.patch(ME, headers=ann.headers, json={"email": None, "full_name": None})
        profile = await _me(client, ann)
        assert profile["email"] is None
        assert profile["full_name"] is None
        await register(client, "bob", email="ann@example.com")

    async def test_changing_only_the_case_of_ones_own_username_is_allowed(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com")
        response = await client.patch(
            ME, headers=ann.headers, json={"username": "Ann", "email": "ANN@example.com"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["username"] == "Ann"

    async def test_taking_someone_elses_username_is_a_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        bob = await signed_up(client, "bob")
        response = await client.patch(
            ME, headers=bob.headers, json={"full_name": "Bob", "username": "ANN"}
        )
        assert_problem(response, 409)
        profile = await _me(client, bob)
        assert profile["username"] == "bob"
        assert profile["full_name"] is None

    async def test_taking_someone_elses_email_is_a_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann", email="ann@example.com")
        bob = await signed_up(client, "bob")
        response = await client.patch(
            ME, headers=bob.headers, json={"username": "robert", "email": "Ann@example.com"}
        )
        assert_problem(response, 409)
        assert (await _me(client, bob))["username"] == "bob"
        assert await _login_status(client, "robert", bob.password) == 401


class TestPasswordChange:
    async def test_a_wrong_current_password_is_a_403_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            ME,
            headers=ann.headers,
            json={"password": "a brand new secret", "current_password": "not the password"},
        )
        assert_problem(response, 403)
        assert await _login_status(client, "ann", "a brand new secret") == 401
        assert await _login_status(client, "ann", ann.password) == 200

    async def test_a_missing_current_password_is_a_403_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            ME, headers=ann.headers, json={"password": "a brand new secret"}
        )
        assert_problem(response, 403)
        assert await _login_status(client, "ann", ann.password) == 200

    async def test_a_refused_password_change_signs_nobody_out(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        phone = await login(client, "ann")
        await client.patch(
            ME,
            headers=ann.headers,
            json={"password": "a brand new secret", "current_password": "not the password"},
        )
        assert (await _refresh(client, phone["refresh_token"])).status_code == 200

    async def test_the_new_password_replaces_the_old_one(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        response = await client.patch(
            ME,
            headers=ann.headers,
            json={"password": "a brand new secret", "current_password": ann.password},
        )
        assert response.status_code == 200, response.text
        assert await _login_status(client, "ann", ann.password) == 401
        assert await _login_status(client, "ann", "a brand new secret") == 200

    async def test_a_password_change_signs_out_the_other_sessions_but_not_this_one(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        phone = await login(client, "ann")
        laptop = await login(client, "ann")
        await client.patch(
            ME,
            headers=ann.headers,
            json={"password": "a brand new secret", "current_password": ann.password},
        )
        assert_problem(await _refresh(client, phone["refresh_token"]), 401)
        assert_problem(await _refresh(client, laptop["refresh_token"]), 401)
        assert (await _refresh(client, ann.refresh_token)).status_code == 200

    async def test_a_password_change_leaves_other_peoples_sessions_alone(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        bob = await signed_up(client, "bob")
        await client.patch(
            ME,
            headers=ann.headers,
            json={"password": "a brand new secret", "current_password": ann.password},
        )
        assert (await _refresh(client, bob.refresh_token)).status_code == 200


class TestAccountDeletion:
    async def test_a_wrong_password_is_a_403_and_the_account_stays(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.request(
            "DELETE", ME, headers=ann.headers, json={"password": "not the password"}
        )
        assert_problem(response, 403)
        assert (await _me(client, ann))["id"] == ann.id
        assert await _login_status(client, "ann", ann.password) == 200

    @ONE_BACKEND
    async def test_deleting_without_a_password_is_a_validation_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        assert_problem(await client.delete(ME, headers=ann.headers), 422)
        assert (await _me(client, ann))["id"] == ann.id

    async def test_a_deleted_account_can_no_longer_sign_in_or_use_its_tokens(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.request(
            "DELETE", ME, headers=ann.headers, json={"password": ann.password}
        )
        assert response.status_code == 204
        assert response.content == b""
        assert await _login_status(client, "ann", ann.password) == 401
        assert_problem(await client.get(ME, headers=ann.headers), 401)
        assert_problem(await _refresh(client, ann.refresh_token), 401)

    async def test_a_deleted_account_disappears_for_everyone_else(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        bob = await signed_up(client, "bob")
        await client.request("DELETE", ME, headers=ann.headers, json={"password": ann.password})
        assert_problem(await client.get(f"{USERS}/{ann.id}", headers=bob.headers), 404)
        found = await client.get(USERS, params={"q": "ann"}, headers=bob.headers)
        assert found.json()["items"] == []

    async def test_a_deleted_username_can_be_registered_again(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com")
        await client.request("DELETE", ME, headers=ann.headers, json={"password": ann.password})
        again = await register(client, "ann", email="ann@example.com")
        assert again["id"] != ann.id


class TestSearch:
    async def test_search_finds_usernames_starting_with_the_prefix_ignoring_case(
        self, client: httpx.AsyncClient
    ) -> None:
        for name in ("Annie", "anne", "bob", "joanna", "ANNA"):
            await register(client, name)
        me = await signed_up(client, "zed")
        response = await client.get(USERS, params={"q": "aNn"}, headers=me.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert [item["username"] for item in page["items"]] == ["ANNA", "anne", "Annie"]
        assert page["next_cursor"] is None

    async def test_search_results_are_public_profiles_without_email(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann", email="ann@example.com", full_name="Ann Lee")
        me = await signed_up(client, "zed")
        page = (await client.get(USERS, params={"q": "ann"}, headers=me.headers)).json()
        assert len(page["items"]) == 1
        assert set(page["items"][0]) == {"id", "username", "full_name", "created_at"}
        assert "ann@example.com" not in str(page)

    async def test_without_a_prefix_search_lists_everyone(self, client: httpx.AsyncClient) -> None:
        for name in ("ann", "bob", "cat"):
            await register(client, name)
        me = await signed_up(client, "zed")
        page = (await client.get(USERS, headers=me.headers)).json()
        assert [item["username"] for item in page["items"]] == ["ann", "bob", "cat", "zed"]

    async def test_like_wildcards_in_the_prefix_match_only_themselves(
        self, client: httpx.AsyncClient
    ) -> None:
        for name in ("ab_c", "a_b", "abc"):
            await register(client, name)
        me = await signed_up(client, "zed")
        for prefix, expected in [("a_", ["a_b"]), ("a%", []), ("%", []), ("a\\", [])]:
            page = (await client.get(USERS, params={"q": prefix}, headers=me.headers)).json()
            assert [item["username"] for item in page["items"]] == expected, prefix

    async def test_walking_every_page_yields_each_match_exactly_once(
        self, client: httpx.AsyncClient
    ) -> None:
        names = ["an-", "an-b", "an.b", "an_b", "anb", "AN0", "anna", "Anne", "an9z", "anz"]
        for name in [*names, "abe", "bob", "joan"]:
            await register(client, name)
        me = await signed_up(client, "zed")
        seen: list[str] = []
        cursor = None
        for _ in range(len(names)):
            params = {"q": "an", "limit": 3} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(USERS, params=params, headers=me.headers)).json()
            assert len(page["items"]) <= 3
            seen += [item["username"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(names)
        assert len(seen) == len(names)

    async def test_a_page_exactly_as_long_as_what_remains_has_no_next_cursor(
        self, client: httpx.AsyncClient
    ) -> None:
        for name in ("ann", "anna"):
            await register(client, name)
        me = await signed_up(client, "zed")
        page = (await client.get(USERS, params={"q": "an", "limit": 2}, headers=me.headers)).json()
        assert len(page["items"]) == 2
        assert page["next_cursor"] is None

    @ONE_BACKEND
    async def test_a_bogus_cursor_is_a_400_problem(self, client: httpx.AsyncClient) -> None:
        me = await signed_up(client, "zed")
        for cursor in [
            "!!!not-a-cursor!!!",
            base64.urlsafe_b64encode(b"not json").decode(),
            base64.urlsafe_b64encode(b'{"after": "a"}').decode(),
            base64.urlsafe_b64encode(b'["a", "b"]').decode(),
            base64.urlsafe_b64encode(b"[]").decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        ]:
            response = await client.get(USERS, params={"cursor": cursor}, headers=me.headers)
            assert_problem(response, 400)

    @ONE_BACKEND
    async def test_a_limit_outside_1_to_200_is_a_422_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        me = await signed_up(client, "zed")
        for limit in (0, -1, 201, "many"):
            response = await client.get(USERS, params={"limit": limit}, headers=me.headers)
            body = assert_problem(response, 422)
            assert [error["loc"] for error in body["errors"]] == [["query", "limit"]], limit

    @ONE_BACKEND
    async def test_the_largest_limit_is_accepted(self, client: httpx.AsyncClient) -> None:
        me = await signed_up(client, "zed")
        response = await client.get(USERS, params={"limit": 200}, headers=me.headers)
        assert response.status_code == 200

    @ONE_BACKEND
    async def test_an_overlong_prefix_is_a_422_problem(self, client: httpx.AsyncClient) -> None:
        me = await signed_up(client, "zed")
        response = await client.get(USERS, params={"q": "a" * 41}, headers=me.headers)
        assert_problem(response, 422)


@ONE_BACKEND
class TestPublicProfile:
    async def test_a_public_profile_shows_no_email_or_account_status(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await register(client, "ann", email="ann@example.com", full_name="Ann Lee")
        bob = await signed_up(client, "bob")
        response = await client.get(f"{USERS}/{ann['id']}", headers=bob.headers)
        assert response.status_code == 200
        assert response.json() == {
            "id": ann["id"],
            "username": "ann",
            "full_name": "Ann Lee",
            "created_at": ann["created_at"],
        }

    async def test_an_unknown_id_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        bob = await signed_up(client, "bob")
        response = await client.get(f"{USERS}/{uuid.uuid4()}", headers=bob.headers)
        assert_problem(response, 404)

    async def test_a_malformed_id_is_a_422_problem(self, client: httpx.AsyncClient) -> None:
        bob = await signed_up(client, "bob")
        body = assert_problem(await client.get(f"{USERS}/not-a-uuid", headers=bob.headers), 422)
        assert ["path", "user_id"] in [error["loc"] for error in body["errors"]]


@ONE_BACKEND
class TestAnonymousCallers:
    async def test_every_profile_route_is_a_401_problem_without_a_token(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await register(client, "ann")
        for method, path, body in [
            ("GET", ME, None),
            ("PATCH", ME, {"full_name": "Nobody"}),
            ("DELETE", ME, {"password": "correct horse battery"}),
            ("GET", USERS, None),
            ("GET", f"{USERS}?q=ann", None),
            ("GET", f"{USERS}/{ann['id']}", None),
        ]:
            response = await client.request(method, path, json=body)
            assert_problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer", (method, path)
        assert await _login_status(client, "ann", "correct horse battery") == 200

"""Limits on failed sign-ins, per username and per client address.

Counters live in Redis on the postgres backend and in the process on the sqlite backend.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tasksync import stack
from tasksync.common.ratelimit import MemoryCounter
from tasksync.users.guards import LoginGuard
from tasksync.users.settings import UsersSettings
from tests.helpers.builders import DEFAULT_PASSWORD, assert_problem, register, signed_up
from tests.helpers.servers import running_server
from tests.users.conftest import AppFactory, http_client

LOGIN = "/api/v1/auth/login"
WRONG = "not the password"


async def _login(
    client: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD
) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password})


async def _fail(client: httpx.AsyncClient, username: str, times: int) -> None:
    for _ in range(times):
        assert_problem(await _login(client, username, WRONG), 401)


def _assert_locked_out(response: httpx.Response, window: int = 900) -> None:
    body = assert_problem(response, 429)
    assert "access_token" not in response.text
    assert body["type"] == "/problems/too-many-requests"
    assert 1 <= int(response.headers["retry-after"]) <= window


class TestPerUsernameLimit:
    async def test_the_eleventh_attempt_after_ten_failures_is_refused_even_if_right(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        await _fail(client, "ann", 10)
        _assert_locked_out(await _login(client, "ann"))

    async def test_nine_failures_still_let_the_right_password_in(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        await _fail(client, "ann", 9)
        assert (await _login(client, "ann")).status_code == 200

    async def test_the_oauth2_form_shares_the_same_limit(self, client: httpx.AsyncClient) -> None:
        await register(client, "ann")
        await _fail(client, "ann", 10)
        response = await client.post(
            "/api/v1/auth/token", data={"username": "ann", "password": DEFAULT_PASSWORD}
        )
        _assert_locked_out(response)

    async def test_the_limit_ignores_the_case_of_the_username(self, embedded: AppFactory) -> None:
        async with embedded(login_failures_per_user=3) as tuned, tuned.client() as http:
            await register(http, "ann")
            for spelling in ("ANN", "Ann", "aNn"):
                assert_problem(await _login(http, spelling, WRONG), 401)
            _assert_locked_out(await _login(http, "ann"))

    async def test_other_usernames_are_unaffected(self, embedded: AppFactory) -> None:
        async with embedded(login_failures_per_user=3) as tuned, tuned.client() as http:
            await register(http, "ann")
            await register(http, "bob")
            await _fail(http, "ann", 3)
            _assert_locked_out(await _login(http, "ann"))
            assert (await _login(http, "bob")).status_code == 200

    async def test_unknown_usernames_are_limited_too(self, embedded: AppFactory) -> None:
        async with embedded(login_failures_per_user=3) as tuned, tuned.client() as http:
            await _fail(http, "nobody", 3)
            _assert_locked_out(await _login(http, "nobody", WRONG))

    async def test_a_successful_login_resets_the_username_counter(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(login_failures_per_user=3) as tuned, tuned.client() as http:
            await register(http, "ann")
            await _fail(http, "ann", 2)
            assert (await _login(http, "ann")).status_code == 200
            await _fail(http, "ann", 2)
            assert (await _login(http, "ann")).status_code == 200

    async def test_the_retry_after_header_stays_within_the_window(
        self, embedded: AppFactory
    ) -> None:
        async with (
            embedded(login_failures_per_user=2, login_window_seconds=60) as tuned,
            tuned.client() as http,
        ):
            await register(http, "ann")
            await _fail(http, "ann", 2)
            _assert_locked_out(await _login(http, "ann"), window=60)

    async def test_the_lock_applies_from_every_address(self, embedded: AppFactory) -> None:
        async with embedded(login_failures_per_user=3) as tuned:
            async with tuned.client("198.51.100.1") as first:
                await register(first, "ann")
                await _fail(first, "ann", 3)
            async with tuned.client("198.51.100.2") as second:
                _assert_locked_out(await _login(second, "ann"))


class TestPerAddressLimit:
    """Failures from one address slow that address down and, past a ceiling, lock it; below
    the ceiling a right password still passes, so a shared NAT is never locked out by the
    guesses of someone else behind it."""

    async def test_failures_across_usernames_do_not_lock_out_the_right_password(
        self, embedded: AppFactory
    ) -> None:
        async with (
            embedded(login_failures_per_address=5, login_address_delay=0.001) as tuned,
            tuned.client() as http,
        ):
            await register(http, "ann")
            for n in range(8):
                assert_problem(await _login(http, f"guess{n}", WRONG), 401)
            assert (await _login(http, "ann")).status_code == 200

    async def test_past_the_ceiling_the_address_is_refused_even_with_the_right_password(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(login_address_ceiling=5) as tuned, tuned.client() as http:
            await register(http, "ann")
            for n in range(5):
                assert_problem(await _login(http, f"guess{n}", WRONG), 401)
            _assert_locked_out(await _login(http, "ann"))

    async def test_other_addresses_are_unaffected(self, embedded: AppFactory) -> None:
        async with embedded(login_address_ceiling=5) as tuned:
            async with tuned.client("198.51.100.1") as attacker:
                await register(attacker, "ann")
                for n in range(5):
                    await _login(attacker, f"guess{n}", WRONG)
                _assert_locked_out(await _login(attacker, "ann"))
            async with tuned.client("198.51.100.2") as ann:
                assert (await _login(ann, "ann")).status_code == 200

    async def test_a_successful_login_does_not_reset_the_address_counter(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(login_address_ceiling=4) as tuned, tuned.client() as http:
            await register(http, "ann")
            for n in range(3):
                await _login(http, f"guess{n}", WRONG)
            assert (await _login(http, "ann")).status_code == 200
            await _login(http, "guess3", WRONG)
            _assert_locked_out(await _login(http, "ann"))

    async def test_the_defaults_slow_after_fifty_failures_and_lock_after_a_thousand(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        for n in range(50):
            await _login(client, f"guess{n % 10}-{n // 10}", WRONG)
        assert (await _login(client, "ann")).status_code == 200
        guard = LoginGuard(MemoryCounter(), UsersSettings())
        assert [guard.delay(n) for n in (0, 49, 50, 51, 69, 999)] == [0, 0, 0.25, 0.5, 5.0, 5.0]
        assert guard.ceiling == 1000


class TestRegistrationLimit:
    async def test_registrations_past_the_limit_from_one_address_are_refused(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(registrations_per_address=3) as tuned:
            async with tuned.client("198.51.100.1") as bot:
                for n in range(3):
                    await register(bot, f"bot{n}")
                refused = await bot.post(
                    "/api/v1/auth/register", json={"username": "bot3", "password": WRONG}
                )
                _assert_locked_out(refused, window=3600)
                assert "registered" in refused.json()["detail"]
            async with tuned.client("198.51.100.2") as ann:
                someone = await signed_up(ann, "ann")
                found = await ann.get("/api/v1/users", params={"q": "bot"}, headers=someone.headers)
            assert [user["username"] for user in found.json()["items"]] == ["bot0", "bot1", "bot2"]

    async def test_the_default_is_ten_an_hour(self) -> None:
        settings = UsersSettings()
        assert (settings.registrations_per_address, settings.registration_window_seconds) == (
            10,
            3600,
        )


@pytest.fixture
async def users_over_http(settings: dict[str, Any]) -> AsyncIterator[str]:
    """The users service in its own server, as in distributed mode, with a low address limit."""
    app = stack.build_service("users", **settings, login_address_ceiling=3)
    async with running_server(app) as url:
        yield url


class TestPerAddressLimitBehindTheGateway:
    """In distributed mode requests reach the users service from the gateway, which puts the
    caller's address in X-Forwarded-For; the service's server trusts it from loopback, as
    `tasksync serve users` runs it."""

    async def test_callers_behind_the_gateway_are_limited_by_their_own_address(
        self, settings: dict[str, Any], users_over_http: str
    ) -> None:
        gateway = stack.build_service(
            "gateway", **settings, service_urls={"users": users_over_http}
        )
        async with gateway.router.lifespan_context(gateway):
            async with http_client(gateway, address="198.51.100.1") as attacker:
                await register(attacker, "ann")
                for n in range(3):
                    assert_problem(await _login(attacker, f"guess{n}", WRONG), 401)
                _assert_locked_out(await _login(attacker, "ann"))
            async with http_client(gateway, address="198.51.100.2") as ann:
                assert (await _login(ann, "ann")).status_code == 200


class TestConcurrentGuesses:
    async def test_a_burst_of_parallel_guesses_cannot_exceed_the_username_limit(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(login_failures_per_user=3) as tuned, tuned.client() as http:
            await register(http, "ann")
            responses = await asyncio.gather(*(_login(http, "ann", WRONG) for _ in range(12)))
            statuses = sorted(response.status_code for response in responses)
            assert statuses == [401] * 3 + [429] * 9
            _assert_locked_out(await _login(http, "ann"))


class TestForwardedForFromElsewhere:
    """A service trusts X-Forwarded-For only from the gateway's configured addresses
    (`TASKSYNC_FORWARDED_ALLOW_IPS`): a caller that reaches the service directly cannot dodge
    the per-address limit by naming another address."""

    async def test_a_direct_caller_is_limited_by_its_own_address_whatever_it_forwards(
        self, settings: dict[str, Any]
    ) -> None:
        app = stack.build_service(
            "users", **settings, login_address_ceiling=3, forwarded_allow_ips="192.0.2.10"
        )
        async with running_server(app) as url, httpx.AsyncClient(base_url=url) as direct:
            await register(direct, "ann")
            for n in range(3):
                forged = {"X-Forwarded-For": f"198.51.100.{n}"}
                response = await direct.post(
                    LOGIN, json={"username": f"guess{n}", "password": WRONG}, headers=forged
                )
                assert_problem(response, 401)
            last = await direct.post(
                LOGIN,
                json={"username": "ann", "password": DEFAULT_PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.77"},
            )
            _assert_locked_out(last)

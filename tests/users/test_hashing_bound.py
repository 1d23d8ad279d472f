"""Password hashing is bounded: past `password_hash_concurrency` hashes at a time and a wait of
`password_hash_wait`, sign-ins, sign-ups and password changes are shed with 503 and
`Retry-After`, and a shed request writes and counts nothing. Hashes with other parameters
than today's are replaced at the next sign-in."""

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher as Argon2Hasher
from sqlalchemy import func, select, update

from tasksync.users.models import RefreshToken, User
from tasksync.users.passwords import HashingBound
from tests.conftest import FAST_HASHING
from tests.helpers.builders import DEFAULT_PASSWORD, assert_problem, register, signed_up
from tests.helpers.stacks import RunningApp
from tests.helpers.waiting import eventually
from tests.users.conftest import AppFactory

LOGIN = "/api/v1/auth/login"
ONE_AT_A_TIME = {"password_hash_concurrency": 1, "password_hash_wait": 0.01}


def _users(running: RunningApp) -> Any:
    return running.app.state.mounted["users"].state


def _bound(running: RunningApp) -> HashingBound:
    return _users(running).runtime.hasher.bound


async def _set_hash(running: RunningApp, username: str, password_hash: str) -> None:
    async with _users(running).kit.db.sessionmaker.begin() as session:
        await session.execute(
            update(User).where(User.username == username).values(password_hash=password_hash)
        )


async def _stored(running: RunningApp, username: str) -> tuple[str, int, int]:
    """The account's password hash, its refresh tokens, and how many accounts exist."""
    async with _users(running).kit.db.sessionmaker() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        tokens = await session.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.user_id == user.id)
        )
        accounts = await session.scalar(select(func.count()).select_from(User))
    return user.password_hash, tokens or 0, accounts or 0


def _assert_shed(response: httpx.Response) -> None:
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1
    assert "access_token" not in response.text


async def _login(http: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD) -> Any:
    return await http.post(LOGIN, json={"username": username, "password": password})


async def test_while_every_slot_is_busy_nothing_is_hashed_written_or_counted(
    embedded: AppFactory,
) -> None:
    tuned = embedded(**ONE_AT_A_TIME, login_failures_per_user=2, registrations_per_address=2)
    async with tuned as running, running.client() as http:
        await register(http, "ann")
        before = await _stored(running, "ann")
        async with _bound(running).slot():
            for _ in range(3):  # more than the per-username limit: none of them counts
                _assert_shed(await _login(http, "ann"))
            # The decoy check that hides unknown usernames waits for a turn like a real one.
            _assert_shed(await _login(http, "nobody"))
            _assert_shed(
                await http.post(
                    "/api/v1/auth/register", json={"username": "bob", "password": "pass-word-1"}
                )
            )
        assert await _stored(running, "ann") == before
        assert (await _login(http, "ann")).status_code == 200
        assert (await _login(http, "nobody")).status_code == 401
        # The shed sign-up did not use up the second of the address's two registrations.
        await register(http, "bob")


@pytest.mark.only_backend("sqlite")
async def test_a_sign_in_waiting_for_a_hashing_turn_holds_no_database_connection(
    embedded: AppFactory,
) -> None:
    # One database turn for requests (the pool keeps two for background work), and a wait
    # for a hashing turn longer than the test: the sign-in is still waiting when /me answers.
    tuned = embedded(password_hash_concurrency=1, password_hash_wait=60, db_pool_size=3)
    async with tuned as running, running.client() as http:
        ann = await signed_up(http, "ann")
        bound = _bound(running)
        waiting = asyncio.ensure_future(asyncio.sleep(0))
        try:
            async with bound.slot():
                waiting = asyncio.ensure_future(_login(http, "ann"))
                await eventually(lambda: asyncio.sleep(0, bound.waiting), timeout=10)
                me = await asyncio.wait_for(http.get("/api/v1/users/me", headers=ann.headers), 30)
                assert me.status_code == 200
                assert not waiting.done()
            assert (await asyncio.wait_for(waiting, 30)).status_code == 200
        finally:
            waiting.cancel()


@pytest.mark.only_backend("sqlite")
async def test_a_burst_of_sign_ins_gets_some_503_and_the_rest_200(embedded: AppFactory) -> None:
    async with embedded(**ONE_AT_A_TIME) as running, running.client() as http:
        await register(http, "ann")
        # A costly stored hash holds the one slot long enough for the burst to queue behind it.
        slow = Argon2Hasher(time_cost=2, memory_cost=32_768, parallelism=1)
        await _set_hash(running, "ann", slow.hash(DEFAULT_PASSWORD))
        answers = await asyncio.gather(*(_login(http, "ann") for _ in range(6)))
        statuses = sorted(r.status_code for r in answers)
        assert set(statuses) == {200, 503}, statuses
        for response in answers:
            if response.status_code == 503:
                _assert_shed(response)
        _, tokens, _ = await _stored(running, "ann")
        assert tokens == statuses.count(200)


@pytest.mark.only_backend("sqlite")
async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(embedded: AppFactory) -> None:
    async with embedded() as running, running.client() as http:
        await register(http, "ann")
        old = Argon2Hasher(time_cost=2, memory_cost=1024, parallelism=2)
        await _set_hash(running, "ann", old.hash(DEFAULT_PASSWORD))
        assert (await _login(http, "ann")).status_code == 200
        upgraded, _, _ = await _stored(running, "ann")
        current = FAST_HASHING
        assert upgraded.startswith(
            f"$argon2id$v=19$m={current['argon2_memory_kib']},t={current['argon2_time_cost']},"
            f"p={current['argon2_parallelism']}$"
        )
        assert (await _login(http, "ann")).status_code == 200
        assert_problem(await _login(http, "ann", "not the password"), 401)
        assert (await _stored(running, "ann"))[0] == upgraded


# Rounds of hashes at the default parameters (19 MiB each), two at a time, in a fresh process:
# its RSS after them, against before, in MB.
_BURST = """
import asyncio
from pathlib import Path

from tasksync.users.passwords import PasswordHasher
from tasksync.users.settings import UsersSettings


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


async def main() -> None:
    hasher = PasswordHasher(UsersSettings(password_hash_concurrency=2))
    before = rss_mb()
    for _ in range(5):
        await asyncio.gather(hasher.hash("first password"), hasher.hash("second password"))
    print(before, rss_mb())


asyncio.run(main())
"""


def test_a_burst_of_hashes_hands_its_memory_back(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BURST], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    before, after = map(float, done.stdout.split())
    # Without the fixed mmap threshold glibc keeps both 19 MiB buffers: about 38 MB more.
    assert after - before < 19, done.stdout

"""`tasksync watch ROOM` against a real embedded stack on a loopback port."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tasksync import stack
from tasksync.cli.watch import Stopped, Watcher
from tests.helpers.builders import signed_up
from tests.helpers.rooms import create_room
from tests.helpers.servers import running_server
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually


@pytest.fixture
async def served(settings: dict[str, Any]) -> AsyncIterator[str]:
    async with running_server(stack.build_embedded(**settings)) as url:
        yield url


class TestWatch:
    async def test_it_prints_the_rooms_events_as_they_happen(self, served: str) -> None:
        async with httpx.AsyncClient(base_url=served) as http:
            ann = await signed_up(http, "ann")
            room = await create_room(http, ann)
            lines: list[str] = []
            sign_in = password_sign_in(served, "ann", ann.password)
            watching = asyncio.create_task(
                Watcher(served, room["id"], sign_in=sign_in, out=lines.append).run()
            )
            await eventually(lambda: _any(lines, "[watching room"))
            await create_task(http, ann, room["id"], "Shown live")
            line = await eventually(lambda: _any(lines, "task.created"))
            watching.cancel()
        assert "Shown live" in line
        assert line.startswith("#")

    async def test_it_stops_for_a_room_you_are_not_in(self, served: str) -> None:
        async with httpx.AsyncClient(base_url=served) as http:
            ann, eve = await signed_up(http, "ann"), await signed_up(http, "eve")
            room = await create_room(http, ann)
            watcher = Watcher(
                served, room["id"], sign_in=password_sign_in(served, "eve", eve.password), out=print
            )
            with pytest.raises(Stopped, match="not a member"):
                await asyncio.wait_for(watcher.run(), 15)


async def _any(lines: list[str], text: str) -> str | None:
    return next((line for line in lines if text in line), None)


def password_sign_in(base_url: str, username: str, password: str) -> Callable[[], dict[str, Any]]:
    """Signs in with a password; the tokens with the access token's expiry (`tasksync watch`
    itself refreshes the stored sign-in instead)."""

    def sign_in() -> dict[str, Any]:
        response = httpx.post(
            base_url.rstrip("/") + "/api/v1/auth/login",
            json={"username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        tokens = response.json()
        return {**tokens, "expires_at": time.time() + int(tokens["expires_in"])}

    return sign_in

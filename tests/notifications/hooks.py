"""Webhook helpers: a real HTTP receiver on 127.0.0.1 and a stack whose webhooks may reach it
(fixtures `receiver` and `hook_stack` in conftest.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from tasksync.notifications.runtime import Runtime
from tests.helpers.rooms import RoleRoom


def hooks(room_id: str) -> str:
    return f"/api/v1/rooms/{room_id}/webhooks"


@dataclass
class Receiver:
    """A real HTTP receiver on 127.0.0.1 that answers the statuses queued, then 200."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="thanks")


@asynccontextmanager
async def serving(handle: Any) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 answering POST /hook with `handle`; yields its URL."""
    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


@dataclass
class HookStack:
    client: httpx.AsyncClient
    room: RoleRoom
    runtime: Runtime
    app: Any = None  # the whole stack (its `mounted` service apps)

    @property
    def notifications(self) -> Any:
        return self.app.state.mounted["notifications"]


async def add_hook(stack: HookStack, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = await stack.client.post(
        hooks(stack.room.id),
        json={"url": url, "events": events or ["task.*"]},
        headers=stack.room.admin.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()

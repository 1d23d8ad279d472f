"""The gateway in distributed mode: real HTTP to a service process, and its failures."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tasksync import stack
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.servers import running_server


@pytest.fixture
async def gateway_to(settings: dict[str, Any]) -> Any:
    """Builds a gateway (no mounted services) that reaches `users` at the given URL."""

    def build(users_url: str, **extra: Any) -> httpx.AsyncClient:
        app = stack.build_service("gateway", **settings, service_urls={"users": users_url}, **extra)
        return app

    return build


@pytest.fixture
async def users_service(settings: dict[str, Any]) -> AsyncIterator[str]:
    async with running_server(stack.build_service("users", **settings)) as url:
        yield url


async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    """A real HTTP peer that streams back what it received, after an optional delay."""
    if scope["type"] != "http":
        return
    delay = float(dict(scope["headers"]).get(b"x-delay", b"0"))
    await asyncio.sleep(delay)
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = [
        (b"content-type", b"application/octet-stream"),
        (b"x-seen-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for start in range(0, len(body), 65536):
        await send(
            {"type": "http.response.body", "body": body[start : start + 65536], "more_body": True}
        )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class TestProxying:
    async def test_account_life_cycle_works_over_real_http(
        self, gateway_to: Any, users_service: str
    ) -> None:
        async for http in _client(gateway_to(users_service)):
            ann = await signed_up(http, "ann")
            me = await http.get("/api/v1/users/me", headers=ann.headers)
            assert me.status_code == 200
            assert me.json()["username"] == "ann"
            assert (await http.get("/health")).json()["services"]["users"]["status"] == "ok"

    async def test_large_bodies_stream_through_both_ways(self, gateway_to: Any) -> None:
        payload = bytes(range(256)) * 8192  # 2 MiB
        async with running_server(_echo, lifespan="off") as echo_url:
            async for http in _client(gateway_to(echo_url)):
                response = await http.post("/api/v1/auth/upload-test", content=payload)
        assert response.status_code == 200
        assert response.headers["x-seen-length"] == str(len(payload))
        assert response.content == payload

    async def test_the_client_address_is_forwarded_and_cannot_be_spoofed(
        self, gateway_to: Any
    ) -> None:
        seen: list[bytes] = []

        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(dict(scope["headers"]).get(b"x-forwarded-for", b""))
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})

        async with running_server(record, lifespan="off") as url:
            async for http in _client(gateway_to(url)):
                await http.get("/api/v1/users/x", headers={"X-Forwarded-For": "1.2.3.4"})
        assert seen == [b"203.0.113.9"]


class TestServiceFailures:
    async def test_a_service_that_is_down_gives_503_with_retry_after(self, gateway_to: Any) -> None:
        async with running_server(_echo, lifespan="off") as url:
            pass  # the port is now closed
        async for http in _client(gateway_to(url)):
            response = await http.post(
                "/api/v1/auth/login", json={"username": "ann", "password": "x"}
            )
            health = (await http.get("/health")).json()
        body = assert_problem(response, 503)
        assert "users" in body["detail"]
        assert int(response.headers["retry-after"]) > 0
        assert health["status"] == "degraded"
        assert health["services"]["users"]["status"] == "down"

    async def test_a_service_that_does_not_answer_in_time_gives_504(self, gateway_to: Any) -> None:
        async with running_server(_echo, lifespan="off") as url:
            async for http in _client(gateway_to(url, proxy_timeout=0.2)):
                response = await http.get("/api/v1/users/me", headers={"X-Delay": "1"})
        assert_problem(response, 504)


class TestReplicas:
    async def test_a_replica_that_is_down_is_skipped_and_requests_keep_succeeding(
        self, gateway_to: Any, users_service: str
    ) -> None:
        async with running_server(_echo, lifespan="off") as gone:
            pass  # a replica whose port is now closed
        async for http in _client(gateway_to(f"{gone},{users_service}")):
            ann = await signed_up(http, "ann")
            for _ in range(4):
                response = await http.get("/api/v1/users/me", headers=ann.headers)
                assert response.status_code == 200

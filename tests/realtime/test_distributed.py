"""Distributed mode: two realtime replicas behind a gateway that relays the WebSocket, a core
stack for users, rooms and tasks, one PostgreSQL and one Redis; every hop is real HTTP or a
real WebSocket on loopback."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasksync import stack
from tests.helpers.builders import signed_up
from tests.helpers.live import closed_with, events_until, live_socket, receive_until
from tests.helpers.rooms import create_room, join
from tests.helpers.servers import running_server
from tests.helpers.tasks import create_task
from tests.realtime.test_live import assert_gap_free, task_events, update_task


@dataclass
class Distributed:
    gateway: str
    replicas: list[FastAPI]

    def sockets_per_replica(self) -> list[int]:
        return [app.state.runtime.hub.connections for app in self.replicas]


@pytest.fixture
async def distributed(settings: dict[str, Any], backend: str) -> AsyncIterator[Distributed]:
    if backend == "sqlite":
        pytest.skip("distributed mode runs on PostgreSQL and Redis")
    async with AsyncExitStack() as running:
        core = await running.enter_async_context(running_server(stack.build_embedded(**settings)))
        links = {"users": core, "rooms": core}
        replicas = [stack.build_service("realtime", **settings, service_urls=links) for _ in "ab"]
        urls = [await running.enter_async_context(running_server(app)) for app in replicas]
        gateway = stack.build_service(
            "gateway",
            **settings,
            service_urls={**links, "tasks": core, "realtime": ",".join(urls)},
        )
        url = await running.enter_async_context(running_server(gateway))
        yield Distributed(url, replicas)


class TestTwoReplicas:
    async def test_clients_on_each_replica_receive_every_event_once(
        self, distributed: Distributed
    ) -> None:
        async with httpx.AsyncClient(base_url=distributed.gateway) as http:
            ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
            room = await create_room(http, ann)
            await join(http, bob, room["code"])
            async with (
                live_socket(distributed.gateway, ann.access_token) as (ann_socket, _),
                live_socket(distributed.gateway, bob.access_token) as (bob_socket, _),
            ):
                assert distributed.sockets_per_replica() == [1, 1]
                task = await create_task(http, ann, room["id"])
                for title in ("one", "two", "three"):
                    await update_task(http, ann, task["id"], title=title)
                await http.delete(f"/api/v1/tasks/{task['id']}", headers=ann.headers)
                seen = [
                    await events_until(ann_socket, "task.deleted"),
                    await events_until(bob_socket, "task.deleted"),
                ]
        for messages in seen:
            assert task_events(messages)[-5:] == [
                "task.created",
                *["task.updated"] * 3,
                "task.deleted",
            ]
            assert len({m["event"]["id"] for m in messages}) == len(messages)
            assert_gap_free(messages)
        assert [m["seq"] for m in seen[0]][-5:] == [m["seq"] for m in seen[1]][-5:]

    async def test_a_removal_reaches_the_other_replica_before_the_next_event(
        self, distributed: Distributed
    ) -> None:
        async with httpx.AsyncClient(base_url=distributed.gateway) as http:
            ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
            room = await create_room(http, ann)
            other = await create_room(http, ann, "Other")
            for code in (room["code"], other["code"]):
                await join(http, bob, code)
            async with (
                live_socket(distributed.gateway, ann.access_token),
                live_socket(distributed.gateway, bob.access_token) as (socket, _),
            ):
                removed = await http.delete(
                    f"/api/v1/rooms/{room['id']}/members/{bob.id}", headers=ann.headers
                )
                assert removed.status_code == 204
                await create_task(http, ann, room["id"], "after removal")
                await create_task(http, ann, other["id"], "marker")
                seen = await receive_until(socket, "unsubscribed")
                seen += await events_until(socket, "task.created")
        gone = next(i for i, m in enumerate(seen) if m["type"] == "unsubscribed")
        assert all(m.get("room_id") != room["id"] for m in seen[gone + 1 :])
        assert seen[-1]["event"]["data"]["title"] == "marker"


class TestReplicaShutdown:
    async def test_a_stopping_replica_closes_its_sockets_with_1012_through_the_gateway(
        self, settings: dict[str, Any], backend: str
    ) -> None:
        if backend == "sqlite":
            pytest.skip("distributed mode runs on PostgreSQL and Redis")
        async with running_server(stack.build_embedded(**settings)) as core:
            links = {"users": core, "rooms": core, "tasks": core}
            async with AsyncExitStack() as replica:
                url = await replica.enter_async_context(
                    running_server(stack.build_service("realtime", **settings, service_urls=links))
                )
                gateway = stack.build_service(
                    "gateway", **settings, service_urls={**links, "realtime": url}
                )
                async with (
                    running_server(gateway) as gateway_url,
                    httpx.AsyncClient(base_url=gateway_url) as http,
                ):
                    ann = await signed_up(http, "ann")
                    async with live_socket(gateway_url, ann.access_token) as (socket, _):
                        await replica.aclose()
                        assert await closed_with(socket) == 1012

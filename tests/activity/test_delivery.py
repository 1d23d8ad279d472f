"""Delivery faults on the real bus (Redis Streams) and PostgreSQL: a consumer that dies
between writing an entry and acknowledging its event, and two consumer replicas, still give
one entry per event in one valid chain."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from tasksync import stack
from tasksync.activity import service
from tasksync.activity.app import definition
from tasksync.activity.models import event_tables
from tasksync.common.db import Database
from tasksync.common.events import operations
from tasksync.common.events.inbox import EventApplier
from tasksync.common.events.metrics import HANDLER_FAILURES
from tasksync.common.events.redis_streams import RedisStreamsBus, stream_name
from tasksync.common.ids import uuid7
from tasksync.contracts.users import UserSignedIn
from tests.activity.conftest import count_entries, entries, envelope
from tests.helpers.waiting import eventually

ANN = uuid7()


@pytest.fixture
def bus_settings(settings: dict[str, Any], backend: str) -> dict[str, Any]:
    if backend != "postgres":
        pytest.skip("these faults are the Redis bus's")
    return {**settings, "event_visibility_timeout": 0.5}


@pytest.fixture
async def redis(bus_settings: dict[str, Any]) -> AsyncIterator[Redis]:
    client = Redis.from_url(bus_settings["redis_url"])
    yield client
    await client.aclose()


@pytest.fixture
async def db(bus_settings: dict[str, Any]) -> AsyncIterator[Database]:
    found = await Database.open(
        stack.settings_for("activity", **bus_settings).database_url("activity")
    )
    yield found
    await found.close()


def sign_in() -> dict[str, Any]:
    sent = envelope(UserSignedIn(user_id=ANN, username="ann"), actor_id=ANN)
    return sent.model_dump(mode="json")


async def nothing_pending(redis: Redis, prefix: str) -> bool:
    groups = await operations.stream_groups(redis, prefix, "users")
    return all(group["pending"] == 0 for group in groups if group["group"] == "activity")


def failures() -> float:
    """Events whose recording failed in this process, so far."""
    return HANDLER_FAILURES.labels("activity", "user.signed_in")._value.get()


async def running(settings: dict[str, Any]) -> Any:
    app: FastAPI = stack.build_service("activity", **settings)
    return app, app.router.lifespan_context(app)


class TestConsumerDiesBeforeAcknowledging:
    async def test_the_redelivered_event_finds_its_entry_and_adds_none(
        self, bus_settings: dict[str, Any], redis: Redis, db: Database
    ) -> None:
        prefix = bus_settings["redis_prefix"]
        stream = stream_name(prefix, "users")
        await redis.xgroup_create(stream, "activity", id="0", mkstream=True)
        raw = sign_in()
        await RedisStreamsBus(redis, prefix).publish("users", [raw])
        # A consumer takes the event, writes its entry, and dies before acknowledging it.
        taken = await redis.xreadgroup("activity", "dead-consumer", {stream: ">"}, count=10)
        assert len(taken[0][1]) == 1
        assert definition.consumed is not None
        assert await EventApplier(db, event_tables, definition.consumed).apply(raw)
        # The service starts: its consumer reclaims the entry from the dead one.
        _, lifespan = await running(bus_settings)
        async with lifespan:
            await eventually(lambda: nothing_pending(redis, prefix))
        assert [entry.id for entry in await entries(db)] == [UUID(raw["id"])]


class TestTwoReplicas:
    async def test_two_consumers_write_one_entry_per_event_in_one_valid_chain(
        self, bus_settings: dict[str, Any], redis: Redis, db: Database
    ) -> None:
        prefix = bus_settings["redis_prefix"]
        bus = RedisStreamsBus(redis, prefix)
        sent = [[sign_in() for _ in range(5)] for _ in range(12)]
        failed_before = failures()
        (_, first), (_, second) = await running(bus_settings), await running(bus_settings)
        async with first, second:
            await asyncio.gather(*(bus.publish("users", batch) for batch in sent))

            async def all_recorded() -> bool:
                return await count_entries(db) == 60

            await eventually(all_recorded)
            await eventually(lambda: nothing_pending(redis, prefix))
        recorded = await entries(db)
        assert {entry.id for entry in recorded} == {UUID(raw["id"]) for b in sent for raw in b}
        assert [entry.seq for entry in recorded] == list(range(1, 61))
        async with db.engine.connect() as conn:
            verdict = await service.verify(conn, batch_size=7)
        assert (verdict.ok, verdict.entries) == (True, 60)
        # Appends took turns on the chain head: none collided and had to be retried.
        assert failures() == failed_before

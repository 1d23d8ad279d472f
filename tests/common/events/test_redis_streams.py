"""Faults of the distributed transport, against real Redis and PostgreSQL."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from tasksync.common.db import Database
from tasksync.common.events import operations
from tasksync.common.events.outbox import Outbox, publish
from tasksync.common.events.redis_streams import RedisStreamsBus, StreamConsumer, stream_name
from tasksync.common.events.relay import OutboxRelay
from tasksync.common.ids import uuid7
from tasksync.contracts.users import UserRegistered
from tasksync.users.models import event_tables as users_events
from tests.common.events.conftest import EventStack, StackFactory
from tests.helpers import probe
from tests.helpers.builders import register
from tests.helpers.redis_server import PrivateRedis
from tests.helpers.waiting import eventually

# Redis Streams are the transport of the postgres backend (PostgreSQL and Redis) only.
pytestmark = pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)


def _consumer(stack: EventStack, redis: Redis, settings: dict[str, Any]) -> StreamConsumer:
    applier = stack.probe.state.kit.events.applier
    return StreamConsumer(
        redis,
        prefix=settings["redis_prefix"],
        group="probe",
        producers=frozenset({"users"}),
        apply=applier.apply,
        dead_letter=lambda raw, error, attempts: applier.dead_letter(
            raw, error=error, attempts=attempts
        ),
        max_attempts=3,
        visibility_timeout=0.3,
    )


class TestConsumerCrash:
    async def test_an_event_whose_consumer_died_mid_handler_is_applied_once_by_another(
        self, running: EventStack, event_settings: dict[str, Any]
    ) -> None:
        probe.behaviour.block = asyncio.Event()
        await register(running.client, "ann")
        await asyncio.wait_for(probe.behaviour.entered.wait(), 10)

        runtime = running.probe.state.kit.events
        (doomed,) = [t for t in runtime._tasks if t.get_name() == "probe-consumer"]
        doomed.cancel()  # the consumer dies inside its handler, before committing or acking
        await asyncio.gather(doomed, return_exceptions=True)
        assert await probe.count_seen(running.probe_db) == 0

        probe.behaviour.block = None
        redis: Redis = running.probe.state.kit.redis
        survivor = _consumer(running, redis, event_settings)
        task = asyncio.create_task(survivor.run())
        try:
            await eventually(lambda: probe.count_seen(running.probe_db))
            await asyncio.sleep(0.8)  # more reclaim rounds: no second application
        finally:
            survivor.stop_soon()
            await task
        assert await probe.seen_usernames(running.probe_db) == ["ann"]
        pending = await redis.xpending(
            stream_name(event_settings["redis_prefix"], "users"), "probe"
        )
        assert pending["pending"] == 0


class TestDuplicateEntries:
    async def test_the_same_event_twice_on_the_stream_is_applied_once(
        self, running: EventStack, event_settings: dict[str, Any]
    ) -> None:
        envelope = {
            "id": str(uuid7()),
            "type": "user.registered",
            "version": 1,
            "occurred_at": "2026-01-01T00:00:00Z",
            "producer": "users",
            "data": {"user_id": str(uuid7()), "username": "echo", "full_name": None},
        }
        bus = RedisStreamsBus(running.users.state.kit.redis, event_settings["redis_prefix"])
        await bus.publish("users", [envelope, envelope])
        await eventually(lambda: probe.count_seen(running.probe_db))
        await asyncio.sleep(0.5)
        assert await probe.seen_usernames(running.probe_db) == ["echo"]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class TestRedisOutage:
    async def test_writes_succeed_while_redis_is_down_and_are_delivered_once_it_is_back(
        self, event_stack: StackFactory, private_redis: PrivateRedis
    ) -> None:
        async with event_stack(redis_url=private_redis.url) as stack:
            await register(stack.client, "before")
            await eventually(lambda: probe.count_seen(stack.probe_db))

            private_redis.stop()
            for name in ("during1", "during2"):
                await register(stack.client, name)  # 201: writes do not need Redis

            async def backlog() -> int:
                return await operations.outbox_backlog(stack.users_db, users_events)

            assert await eventually(backlog) == 2

            private_redis.start()  # back, and empty: streams and groups are recreated
            await eventually(
                lambda: _is(probe.seen_usernames(stack.probe_db), ["before", "during1", "during2"])
            )
            assert await backlog() == 0
            await asyncio.sleep(0.5)
            assert await probe.count_seen(stack.probe_db) == 3


async def _is(value: Any, expected: Any) -> bool:
    return await value == expected


class TestTwoRelays:
    async def test_two_relays_of_one_service_publish_each_event_once_in_commit_order(
        self, running: EventStack, event_settings: dict[str, Any]
    ) -> None:
        running.users.state.kit.events.relay.stop_soon()  # replaced by the two replicas below
        url = running.users_db.url
        prefix = f"{event_settings['redis_prefix']}:relays"
        replicas = [
            await Database.open(url, outbox=Outbox(users_events.outbox, service="users"))
            for _ in range(2)
        ]
        redis: Redis = running.users.state.kit.redis
        relays = []
        for db in replicas:
            relays.append(
                OutboxRelay(
                    db,
                    users_events,
                    RedisStreamsBus(redis, prefix),
                    service="users",
                    poll_interval=0.01,
                )
            )
        tasks = [asyncio.create_task(relay.run()) for relay in relays]

        async def write(batch: int) -> None:
            async with replicas[batch % 2].sessionmaker() as session, session.begin():
                for n in range(10):
                    publish(
                        session,
                        UserRegistered(user_id=uuid7(), username=f"u{batch}-{n}", full_name=None),
                    )

        try:
            await asyncio.gather(*(write(b) for b in range(20)))
            await eventually(lambda: _is(operations.outbox_backlog(replicas[0], users_events), 0))
        finally:
            for relay in relays:
                relay.stop_soon()
            await asyncio.gather(*tasks)
        entries = await redis.xrange(stream_name(prefix, "users"))
        published = [orjson.loads(fields[b"envelope"])["id"] for _, fields in entries]
        async with replicas[0].engine.connect() as conn:
            rows = await conn.execute(
                select(users_events.outbox.c.event_id).order_by(users_events.outbox.c.seq)
            )
            in_commit_order = [str(event_id) for (event_id,) in rows]
        for db in replicas:
            await db.close()
        await redis.delete(stream_name(prefix, "users"))
        assert len(published) == len(set(published)) == 200
        assert published == in_commit_order

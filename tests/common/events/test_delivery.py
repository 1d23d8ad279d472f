"""Outbox -> relay -> bus -> inbox, on both transports: nothing lost, nothing applied twice."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from tasksync.common.events import operations
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.contracts.users import UserRegistered
from tasksync.users.models import event_tables as users_events
from tests.common.events.conftest import EventStack, StackFactory
from tests.helpers import probe
from tests.helpers.builders import register
from tests.helpers.waiting import eventually


async def settled(stack: EventStack) -> None:
    """The barrier after which no delivery can come any more: the relay has published the
    whole outbox (in-process, that is once every consumer has applied it) and, on Redis, the
    probe's group holds no unacknowledged entry that could be delivered again."""
    await stack.users.state.kit.events.relay.drain()
    redis = stack.probe.state.kit.redis
    if redis is None:
        return

    async def nothing_pending() -> bool:
        prefix = stack.probe.state.kit.settings.redis_prefix
        groups = await operations.stream_groups(redis, prefix, "users")
        return all(group["pending"] == 0 for group in groups if group["group"] == "probe")

    await eventually(nothing_pending)


async def _seen(stack: EventStack, expected: list[str]) -> list[str | None]:
    async def check() -> bool:
        return await probe.seen_usernames(stack.probe_db) == sorted(expected)

    await eventually(check)
    return await probe.seen_usernames(stack.probe_db)


class TestCommitAndRollback:
    async def test_a_committed_registration_is_delivered_exactly_once(
        self, running: EventStack
    ) -> None:
        for name in ("ann", "bob", "cid"):
            await register(running.client, name)
        await _seen(running, ["ann", "bob", "cid"])
        await settled(running)
        assert await probe.count_seen(running.probe_db) == 3

    async def test_a_rolled_back_registration_publishes_nothing(self, running: EventStack) -> None:
        await register(running.client, "ann")
        duplicate = await running.client.post(
            "/api/v1/auth/register", json={"username": "ANN", "password": "long enough"}
        )
        assert duplicate.status_code == 409
        await _seen(running, ["ann"])
        async with running.users_db.engine.connect() as conn:
            types = list(await conn.scalars(select(users_events.outbox.c.type)))
        assert types == ["user.registered"]

    async def test_an_event_published_in_a_failed_transaction_never_exists(
        self, running: EventStack
    ) -> None:
        async def failing_request() -> None:
            async with running.users_db.sessionmaker() as session, session.begin():
                publish(session, UserRegistered(user_id=uuid7(), username="ghost", full_name=None))
                raise RuntimeError("the request failed after publishing")

        with pytest.raises(RuntimeError):
            await failing_request()
        assert await operations.outbox_backlog(running.users_db, users_events) == 0
        await running.users.state.kit.events.relay.drain()
        assert await probe.count_seen(running.probe_db) == 0


class TestRelayCrash:
    async def test_events_committed_while_no_relay_ran_are_delivered_once_on_restart(
        self, event_stack: StackFactory
    ) -> None:
        async with event_stack() as stack:
            runtime = stack.users.state.kit.events
            runtime.relay.stop_soon()  # the relay "dies" ...
            relay = next(t for t in runtime._tasks if t.get_name().endswith("-relay"))
            await asyncio.wait_for(relay, 10)
            runtime._stop_waking()  # and no commit wakes it any more
            await register(stack.client, "ann")  # ... after this commit, before publishing
            assert await operations.outbox_backlog(stack.users_db, users_events) == 1
            runtime.stop = _no_flush(runtime.stop)
        async with event_stack() as restarted:
            await _seen(restarted, ["ann"])
            assert await operations.outbox_backlog(restarted.users_db, users_events) == 0


def _no_flush(stop: Any) -> Any:
    """A stop that skips the final outbox flush, as a killed process would."""

    async def stop_without_flush() -> None:
        runtime = stop.__self__
        runtime.relay.drain = _nothing
        await stop()

    return stop_without_flush


async def _nothing() -> int:
    return 0


class TestIdempotentInbox:
    async def test_the_same_event_applied_twice_has_one_effect(self, running: EventStack) -> None:
        raw = {
            "id": str(uuid7()),
            "type": "user.registered",
            "version": 1,
            "occurred_at": "2026-01-01T00:00:00Z",
            "producer": "users",
            "data": {"user_id": str(uuid7()), "username": "twice", "full_name": None},
        }
        applier = running.probe.state.kit.events.applier
        assert await applier.apply(raw) is True
        assert await applier.apply(raw) is False
        assert await probe.seen_usernames(running.probe_db) == ["twice"]

    async def test_an_event_the_service_does_nothing_with_costs_no_inbox_row(
        self, running: EventStack
    ) -> None:
        user_id = str(uuid7())
        updated = {
            "id": str(uuid7()),
            "type": "user.updated",  # the probe has no handler for it
            "version": 1,
            "occurred_at": "2026-01-01T00:00:00Z",
            "producer": "users",
            "data": {"user_id": user_id, "username": "ann", "full_name": "Ann"}
            | {"changed": ["full_name"]},
        }
        registered = updated | {
            "id": str(uuid7()),
            "type": "user.registered",
            "data": {"user_id": user_id, "username": "ann", "full_name": None},
        }
        applier = running.probe.state.kit.events.applier
        assert await applier.apply(updated) is True
        assert await applier.apply_batch([updated, registered]) is True
        inbox = probe.tables.inbox
        async with running.probe_db.engine.connect() as conn:
            recorded = list(await conn.scalars(select(inbox.c.type)))
        assert recorded == ["user.registered"]
        assert await probe.seen_usernames(running.probe_db) == ["ann"]


class TestPoisonEvents:
    async def test_a_failing_event_is_dead_lettered_while_later_ones_flow_and_replays_once_fixed(
        self, running: EventStack
    ) -> None:
        probe.behaviour.fail_for = {"poison"}
        for name in ("poison", "after1", "after2"):
            await register(running.client, name)
        await _seen(running, ["after1", "after2"])

        async def dead() -> list[dict[str, Any]]:
            return await operations.dead_letters(running.probe_db, probe.tables)

        (letter,) = await eventually(dead)
        assert letter["type"] == "user.registered"
        assert letter["attempts"] == 3
        assert "probe refuses poison" in letter["error"]

        probe.behaviour.fail_for = set()
        assert (
            await operations.request_replay(running.probe_db, probe.tables, letter["event_id"]) == 1
        )
        await _seen(running, ["after1", "after2", "poison"])
        await eventually(lambda: _empty(dead))
        assert await probe.count_seen(running.probe_db) == 3


async def _empty(fetch: Any) -> bool:
    return not await fetch()

"""Webhook delivery when things go wrong: receivers that hang, trickle or flood do not hold
up a healthy one; a dispatcher stopped between send and mark sends again with the same
`webhook-id`, and of hundreds of events none is lost; a rolled-back write sends nothing;
a deleted room's webhooks get `room.deleted` last, then go. Real receivers on 127.0.0.1."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from aiohttp import web
from sqlalchemy import func, select

from tasksync.common import clock
from tasksync.contracts.events import Envelope
from tasksync.contracts.tasks import TaskUpdated
from tasksync.notifications.models import Webhook, WebhookDelivery
from tasksync.notifications.webhooks import service as webhooks
from tests.helpers.stacks import AppFactory
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import envelope, hook_stack_of
from tests.notifications.hooks import HookStack, Receiver, add_hook, hooks, serving

# What differs between the backends is the claim (SKIP LOCKED), proven by the other tests;
# these run once.
pytestmark = pytest.mark.only_backend("sqlite")


def webhook_id(headers: dict[str, str]) -> str:
    return {k.lower(): v for k, v in headers.items()}["webhook-id"]


async def deliveries(stack: HookStack, **where: Any) -> list[WebhookDelivery]:
    async with stack.notifications.state.kit.db.sessionmaker() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(WebhookDelivery, name) == value)
        return list((await session.scalars(query)).all())


def task_updates(stack: HookStack, count: int) -> list[dict[str, Any]]:
    """`count` task.updated events of the stack's room (a task the service does not know:
    only the webhooks act on them)."""
    room_id = UUID(stack.room.id)
    return [
        envelope(
            TaskUpdated(
                task_id=uuid4(), room_id=room_id, number=n, version=2, changes={"title": f"{n}"}
            ),
            actor_id=UUID(stack.room.member.id),
            room_id=room_id,
        ).model_dump(mode="json")
        for n in range(count)
    ]


async def consume(stack: HookStack, events: list[dict[str, Any]], batch: int = 100) -> None:
    """The notifications service consumes `events`, as from the bus."""
    applier = stack.notifications.state.kit.events.applier
    for start in range(0, len(events), batch):
        assert await applier.apply_batch(events[start : start + batch])


class Misbehaving:
    """Receivers that answer badly: one hangs until released, one trickles a byte at a time
    until released, one sends 100 MB (as a stream: the server never holds it)."""

    HUGE = 100 * 1024 * 1024

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: set[str] = set()
        self.huge_sent = 0
        self.huge_done = False

    async def hang(self, request: web.Request) -> web.Response:
        await request.read()
        self.started.add("hang")
        await self.release.wait()
        return web.Response(text="late")

    async def trickle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse()
        await response.prepare(request)
        self.started.add("trickle")
        while not self.release.is_set():
            await response.write(b".")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), 0.05)
        return response

    async def flood(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse()
        response.content_length = self.HUGE
        await response.prepare(request)
        self.started.add("flood")
        chunk = b"x" * (1024 * 1024)
        try:
            while self.huge_sent < self.HUGE:
                await response.write(chunk)
                self.huge_sent += len(chunk)
        except (ConnectionError, OSError):
            pass  # the dispatcher read its 64 KB and hung up
        finally:
            self.huge_done = True
        return response


@pytest.fixture
async def misbehaving() -> AsyncIterator[tuple[Misbehaving, dict[str, str]]]:
    found = Misbehaving()
    async with (
        serving(found.hang) as hang,
        serving(found.trickle) as trickle,
        serving(found.flood) as flood,
    ):
        yield found, {"hang": hang, "trickle": trickle, "flood": flood}
        found.release.set()


class TestSlowReceivers:
    async def test_hanging_trickling_and_flooding_receivers_do_not_delay_a_healthy_one(
        self,
        embedded: AppFactory,
        receiver: Receiver,
        misbehaving: tuple[Misbehaving, dict[str, str]],
    ) -> None:
        bad, urls = misbehaving
        # A minute of time limit and of polling: whatever arrives came from a commit's wake,
        # and the bad receivers are still being waited for when the healthy one is served.
        async with hook_stack_of(embedded, webhook_timeout=60, webhook_poll_interval=60) as stack:
            room = stack.room
            ids = {name: (await add_hook(stack, url))["id"] for name, url in urls.items()}
            await add_hook(stack, receiver.url)
            await create_task(stack.client, room.member, room.id, "First")

            async def all_started() -> bool:
                return bad.started == {"hang", "trickle", "flood"} and len(receiver.received) == 1

            await eventually(all_started)
            await create_task(stack.client, room.member, room.id, "Second")

            async def second_arrived() -> bool:
                return len(receiver.received) == 2

            await eventually(second_arrived)
            # ...while the hanging and trickling receivers still hold their first delivery
            for name in ("hang", "trickle"):
                held = await deliveries(stack, webhook_id=UUID(ids[name]))
                assert (held[0].status, held[0].attempts) == ("pending", 1)
            assert bad.release.is_set() is False
            # the flood was cut after the first 64 KB: never 100 MB in memory or on the wire
            await eventually(lambda: _true(bad.huge_done))
            assert bad.huge_sent < Misbehaving.HUGE // 2
            path = f"{hooks(room.id)}/{ids['flood']}/deliveries"

            async def flood_logged() -> dict[str, Any] | None:
                log = await stack.client.get(path, headers=room.admin.headers)
                items = [i for i in log.json()["items"] if i["log"]]
                return items[-1]["log"][0] if items else None

            attempt = await eventually(flood_logged)
            assert attempt["status_code"] == 200
            assert len(attempt["response_head"]) <= 1024
            bad.release.set()


async def _true(value: bool) -> bool:
    return value


class TestNoneLost:
    async def test_a_dispatcher_stopped_between_send_and_mark_sends_again_with_the_same_id(
        self, embedded: AppFactory
    ) -> None:
        got: list[tuple[str, bytes]] = []
        answer = asyncio.Event()

        async def hold_the_first(request: web.Request) -> web.Response:
            got.append((webhook_id(dict(request.headers)), await request.read()))
            if len(got) == 1:
                await answer.wait()  # the dispatcher is stopped before it hears back
            return web.Response(text="ok")

        async with serving(hold_the_first) as url, hook_stack_of(embedded) as stack:
            hook = await add_hook(stack, url)
            with clock.travel():
                await create_task(stack.client, stack.room.member, stack.room.id, "Once")
                await eventually(lambda: _true(len(got) == 1))
                await stack.runtime.stop()  # killed: sent, never marked
                answer.set()
                (held,) = await deliveries(stack)
                assert (held.status, held.attempts) == ("pending", 1)
                clock.advance(timedelta(minutes=2))  # its claim ran out
                stack.runtime.start()

                async def succeeded() -> list[WebhookDelivery] | None:
                    found = await deliveries(stack)
                    return found if found[0].status == "succeeded" else None

                (done,) = await eventually(succeeded)
            assert [sent_id for sent_id, _ in got] == [str(done.id), str(done.id)]
            assert got[0][1] == got[1][1]
            assert done.attempts == 2
            log = await stack.client.get(
                f"{hooks(stack.room.id)}/{hook['id']}/deliveries", headers=stack.room.admin.headers
            )
            assert [a["status_code"] for a in log.json()["items"][0]["log"]] == [200]

    @pytest.mark.only_backend("postgres")  # writers in parallel, as replicas share the work
    async def test_hundreds_of_events_through_a_dispatcher_restart_all_arrive(
        self, embedded: AppFactory
    ) -> None:
        # event id -> the webhook-ids it came with; how many requests in all
        seen: dict[str, set[str]] = {}
        requests = 0

        async def count(request: web.Request) -> web.Response:
            nonlocal requests
            requests += 1
            event = orjson.loads(await request.read())["id"]
            seen.setdefault(event, set()).add(webhook_id(dict(request.headers)))
            return web.Response(text="ok")

        async with (
            serving(count) as url,
            hook_stack_of(embedded, webhook_concurrency_per_endpoint=16) as stack,
        ):
            await add_hook(stack, url)
            events = task_updates(stack, 400)
            with clock.travel():
                await consume(stack, events[:200])
                await eventually(lambda: _true(len(seen) >= 100))
                await stack.runtime.stop()  # whatever was in flight is abandoned
                await consume(stack, events[200:])
                clock.advance(timedelta(minutes=2))
                stack.runtime.start()

                async def all_there() -> bool:
                    if len(seen) < len(events):
                        return False
                    return {row.status for row in await deliveries(stack)} == {"succeeded"}

                await eventually(all_there, timeout=60)
            assert set(seen) == {e["id"] for e in events}
            assert len(await deliveries(stack)) == len(events)
            # a repeat (at least once) carries the id of its first send
            assert all(len(ids) == 1 for ids in seen.values())
            assert requests >= len(events)


class TestRollbackAndRoomDeletion:
    async def test_a_delivery_written_by_a_rolled_back_transaction_is_never_sent(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack = hook_stack
        await add_hook(stack, receiver.url)
        lost, marker = task_updates(stack, 2)
        db = stack.notifications.state.kit.db
        async with db.sessionmaker() as session:
            await session.begin()
            await webhooks.fan_out(session, Envelope.model_validate(lost))
            await session.rollback()  # a later handler of the event failed, say
        await consume(stack, [marker])
        await eventually(lambda: _true(len(receiver.received) == 1))
        assert [orjson.loads(body)["id"] for _, body in receiver.received] == [marker["id"]]
        assert [str(d.event_id) for d in await deliveries(stack)] == [marker["id"]]

    async def test_a_deleted_rooms_webhooks_get_room_deleted_last_then_go(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        told = await add_hook(stack, receiver.url, ["room.deleted"])
        await add_hook(stack, receiver.url, ["task.*"])
        response = await stack.client.delete(f"/api/v1/rooms/{room.id}", headers=room.owner.headers)
        assert response.status_code == 204

        async def sent() -> bool:
            rows = await deliveries(stack, status="succeeded")
            return len(rows) == 1

        await eventually(sent)
        ((_, body),) = receiver.received
        payload = orjson.loads(body)
        assert (payload["type"], payload["room_id"]) == ("room.deleted", room.id)
        (row,) = await deliveries(stack)
        assert str(row.webhook_id) == told["id"]
        # the room's routes are gone with it
        listed = await stack.client.get(hooks(room.id), headers=room.owner.headers)
        assert listed.status_code == 404
        # the next scheduler pass removes both webhooks, and their log
        await stack.runtime.run_scheduled()
        async with stack.notifications.state.kit.db.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Webhook)) == 0
        assert await deliveries(stack) == []

"""The notifications service's runtime object (`app.state.runtime`): its settings and the
background work that runs after commits: the scheduler (parked events, reminders, digests)
and the mail and webhook dispatchers, each woken at once after a commit that wrote work for
it (in this process: the process whose consumer or route wrote a row also runs a dispatcher,
in every mode), and polling as a safety net (rows written by another replica's retry, a
dispatcher that died with rows claimed)."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.kit import Kit
from tasksync.common.outbound import Guard, parse_networks
from tasksync.common.ratelimit import WindowCounter, window_counter
from tasksync.notifications import digests, events, queries, reminders
from tasksync.notifications.dispatch import Dispatcher, transport_for
from tasksync.notifications.settings import NotificationsSettings
from tasksync.notifications.webhooks import service as webhook_service
from tasksync.notifications.webhooks.delivery import WebhookDispatcher

log = structlog.get_logger("tasksync.notifications")


@dataclass
class Runtime:
    settings: NotificationsSettings
    db: Database
    dispatcher: Dispatcher
    webhook_guard: Guard
    webhooks: WebhookDispatcher
    # Limits pings of webhooks (shared by replicas through Redis when there is one).
    pings: WindowCounter
    _wake_mail: asyncio.Event = field(default_factory=asyncio.Event)
    _wake_webhooks: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def wake(self) -> None:
        """A mail was written and committed: the dispatcher looks now."""
        self._wake_mail.set()

    def wake_webhooks(self) -> None:
        """A delivery was written and committed (or an endpoint has room again): the
        webhook dispatcher looks now."""
        self._wake_webhooks.set()

    async def run_scheduled(self) -> int:
        """One pass of the scheduler: events that waited long enough for their task, the
        reminders and the digests that are due; returns how many reminders and digests."""
        before = utcnow() - timedelta(seconds=self.settings.parked_seconds)
        async with self.db.sessionmaker.begin() as session:
            await events.release_parked(session, await queries.unpark(session, before=before))
            await webhook_service.sweep_retired(session)
        total = 0
        for step, batch in (
            (reminders.send_due, reminders.BATCH),
            (digests.send_due, digests.BATCH),
        ):
            while True:
                async with self.db.sessionmaker.begin() as session:
                    done = await step(session)
                total += done
                if done < batch:
                    break
        return total

    async def send_mail(self) -> int:
        """One pass of the dispatcher; returns how many messages went."""
        return await self.dispatcher.run_once()

    async def send_webhooks(self) -> int:
        """One pass of the webhook dispatcher; returns how many deliveries succeeded."""
        return await self.webhooks.run_once()

    async def _loop(
        self,
        name: str,
        work: Callable[[], Awaitable[int]],
        interval: float,
        wake: asyncio.Event | None,
    ) -> None:
        while True:
            if wake is not None:
                wake.clear()  # before the pass: a commit during it makes another pass
            try:
                await work()
            except Exception as exc:
                log.warning("notifications_work_failed", work=name, error=str(exc))
            if wake is None:
                await asyncio.sleep(interval)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), interval)

    def start(self) -> None:
        s = self.settings
        self.webhooks.more_due = self.wake_webhooks
        self._tasks = [
            asyncio.create_task(
                self._loop("scheduler", self.run_scheduled, s.scheduler_interval, None)
            ),
            asyncio.create_task(
                self._loop("mail", self.send_mail, s.mail_poll_interval, self._wake_mail)
            ),
            asyncio.create_task(
                self._loop(
                    "webhooks",
                    self.webhooks.start_due,
                    s.webhook_poll_interval,
                    self._wake_webhooks,
                )
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.webhooks.stop()


async def start(kit: Kit) -> Runtime:
    settings = kit.settings
    assert isinstance(settings, NotificationsSettings)
    transport = transport_for(settings)
    log.info("notifications_mail", delivery=transport.description)
    guard = Guard(allow=parse_networks(settings.webhook_allow_networks))
    runtime = Runtime(
        settings=settings,
        db=kit.db,
        dispatcher=Dispatcher(kit.db, settings, transport),
        webhook_guard=guard,
        webhooks=WebhookDispatcher(kit.db, settings, guard),
        pings=window_counter(kit.redis, settings.redis_prefix),
    )
    runtime.start()
    return runtime


async def stop(runtime: Runtime) -> None:
    await runtime.stop()

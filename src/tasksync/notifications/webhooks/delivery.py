"""The webhook dispatcher: sends due deliveries after commit, signed, through the guarded
client; retries connection errors, timeouts and 5xx with backoff and jitter for about three
days; a 410 disables the webhook at once; another 4xx (or a 3xx: redirects are never
followed) is final for that delivery. A webhook failing without a success for a day is
disabled and the room's owner is told.

Replicas share the work by claiming rows (`SKIP LOCKED` on PostgreSQL); a dispatcher killed
between send and mark leaves the row to be sent again once its claim runs out, with the
same `webhook-id` (at-least-once). One slow receiver never delays another: each delivery
runs on its own (`start_due` does not wait for it), each endpoint (host and port) has at
most `webhook_concurrency_per_endpoint` deliveries in flight (a full endpoint's rows stay
unclaimed, so their claims cannot run out while they wait), and the whole exchange has its
time limit.
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

import structlog
from sqlalchemy import select, update

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.outbound import Answer, Guard, post
from tasksync.notifications import queries
from tasksync.notifications.models import Webhook, WebhookAttempt, WebhookDelivery, room_roles
from tasksync.notifications.settings import NotificationsSettings
from tasksync.notifications.webhooks import signing
from tasksync.notifications.webhooks.service import secrets_of

log = structlog.get_logger("tasksync.notifications.webhooks")
BATCH = 100
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400)
CLAIM = timedelta(seconds=60)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then 14 h."""
    base = SCHEDULE[min(attempts, len(SCHEDULE)) - 1]
    return timedelta(seconds=base * random.uniform(0.9, 1.1))


@dataclass
class WebhookDispatcher:
    db: Database
    settings: NotificationsSettings
    guard: Guard
    # Called when due rows were left behind: the batch was full, or a delivery ended while
    # rows waited for their endpoint to have room.
    more_due: Callable[[], None] = lambda: None
    # Deliveries in flight per endpoint, and the webhooks they belong to.
    _busy: dict[str, int] = field(default_factory=dict)
    _busy_hooks: dict[str, set[UUID]] = field(default_factory=dict)
    _running: set[asyncio.Task[int]] = field(default_factory=set)
    _waiting: bool = False

    @staticmethod
    def endpoint(url: str) -> str:
        return url.split("/", 3)[2] if "//" in url else url

    async def run_once(self) -> int:
        """Sends what is due now and waits for the answers; returns how many succeeded."""
        claimed = await self._claim()
        results = await asyncio.gather(*(self._deliver(d, w, u) for d, w, u in claimed))
        return sum(results)

    async def start_due(self) -> int:
        """Claims what is due now and starts each delivery on its own, without waiting for
        any answer; returns how many started."""
        claimed = await self._claim()
        for delivery, hook, until in claimed:
            task = asyncio.create_task(self._deliver(delivery, hook, until))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        if len(claimed) == BATCH:
            self.more_due()
        return len(claimed)

    async def stop(self) -> None:
        """Abandons deliveries in flight (their claims run out; they are sent again)."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _full(self) -> list[UUID]:
        limit = self.settings.webhook_concurrency_per_endpoint
        return [
            hook
            for key, count in self._busy.items()
            if count >= limit
            for hook in self._busy_hooks.get(key, ())
        ]

    async def _claim(self) -> list[tuple[WebhookDelivery, Webhook, object]]:
        now = utcnow()
        until = now + CLAIM + timedelta(seconds=self.settings.webhook_timeout)
        limit = self.settings.webhook_concurrency_per_endpoint
        async with self.db.sessionmaker.begin() as session:
            query = (
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(
                    *queries.claimable(WebhookDelivery, now),
                    WebhookDelivery.next_attempt_at <= now,
                    Webhook.active.is_(True),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
            )
            if full := self._full():
                query = query.where(Webhook.id.not_in(full))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
            chosen: dict[UUID, tuple[WebhookDelivery, Webhook]] = {}
            room = {key: limit - count for key, count in self._busy.items()}
            self._waiting = bool(full)
            for delivery, hook in (await session.execute(query)).all():
                key = self.endpoint(hook.url)
                if room.setdefault(key, limit) <= 0:
                    self._waiting = True  # left for when this endpoint has room
                    continue
                room[key] -= 1
                chosen[delivery.id] = (delivery, hook)
            session.expunge_all()
            if not chosen:
                return []
            won = await queries.take(session, WebhookDelivery, chosen, now=now, until=until)
            taken = [chosen[delivery_id] for delivery_id in won]
        for delivery, hook in taken:
            key = self.endpoint(hook.url)
            self._busy[key] = self._busy.get(key, 0) + 1
            self._busy_hooks.setdefault(key, set()).add(hook.id)
            delivery.claimed_until = until
            delivery.attempts += 1
        return [(delivery, hook, until) for delivery, hook in taken]

    def _done(self, hook: Webhook) -> None:
        key = self.endpoint(hook.url)
        self._busy[key] -= 1
        if not self._busy[key]:
            del self._busy[key]
            self._busy_hooks.pop(key, None)
        if self._waiting:
            self.more_due()

    async def _deliver(self, delivery: WebhookDelivery, hook: Webhook, until: object) -> int:
        try:
            return await self._send(delivery, hook, until)
        finally:
            self._done(hook)

    async def _send(self, delivery: WebhookDelivery, hook: Webhook, until: object) -> int:
        body = delivery.payload.encode()
        headers = signing.headers(
            secrets_of(hook),
            msg_id=str(delivery.id),
            timestamp=int(utcnow().timestamp()),
            body=body,
        )
        answer: Answer | None = None
        error: str | None = None
        started = asyncio.get_running_loop().time()
        try:
            answer = await post(
                self.guard,
                hook.url,
                body=body,
                headers=headers,
                timeout=self.settings.webhook_timeout,
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
        elapsed = int((asyncio.get_running_loop().time() - started) * 1000)
        await self._record(delivery, hook, until, answer, error, elapsed)
        return int(answer is not None and 200 <= answer.status < 300)

    async def _record(
        self,
        delivery: WebhookDelivery,
        hook: Webhook,
        until: object,
        answer: Answer | None,
        error: str | None,
        elapsed: int,
    ) -> None:
        now = utcnow()
        status = answer.status if answer else None
        values: dict[str, object] = {"claimed_until": None}
        hook_values: dict[str, object] = {}
        if status is not None and 200 <= status < 300:
            values["status"] = "succeeded"
            hook_values["failing_since"] = None
        elif status == 410:
            values["status"] = "failed"
            hook_values |= {"active": False, "disabled_reason": "The receiver answered 410 Gone."}
        elif status is not None and status < 500:
            values["status"] = "failed"
        elif now - delivery.created_at > timedelta(hours=self.settings.webhook_max_age_hours):
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = now + retry_delay(delivery.attempts)
        if "failing_since" not in hook_values and values.get("status") != "succeeded":
            hook_values["failing_since"] = hook.failing_since or now
        async with self.db.sessionmaker.begin() as session:
            result = await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery.id, WebhookDelivery.claimed_until == until)
                .values(**values)
            )
            if not result.rowcount:
                return  # the claim ran out and another dispatcher took it
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    at=now,
                    status_code=status,
                    duration_ms=elapsed,
                    error=error,
                    response_head=answer.body[:1024].decode("utf-8", "replace") if answer else None,
                )
            )
            await session.execute(
                update(Webhook).where(Webhook.id == hook.id).values(**hook_values)
            )
            failing_since = hook_values.get("failing_since")
            limit = timedelta(hours=self.settings.webhook_disable_after_hours)
            if hook.active and isinstance(failing_since, type(now)) and now - failing_since > limit:
                await self._disable(session, hook, "It failed without a success for a day.")

    async def _disable(self, session: object, hook: Webhook, reason: str) -> None:
        """Disables the webhook and tells the room's owner."""
        from tasksync.notifications.service import Occurrence, notify

        await session.execute(  # type: ignore[attr-defined]
            update(Webhook)
            .where(Webhook.id == hook.id, Webhook.active.is_(True))
            .values(active=False, disabled_reason=reason)
        )
        c = room_roles.table.c
        owners = await session.scalars(  # type: ignore[attr-defined]
            select(c.user_id).where(c.room_id == hook.room_id, c.role == "owner")
        )
        what = Occurrence(
            event_id=uuid5(
                NAMESPACE_URL, f"tasksync:webhook-disabled:{hook.id}:{hook.failing_since}"
            ),
            kind="webhook_disabled",
            actor_id=None,
            room_id=hook.room_id,
            task_id=None,
            text=f"A webhook of this room ({hook.url[:100]}) was disabled: {reason}",
        )
        await notify(session, what, list(owners))  # type: ignore[arg-type]
        log.warning("webhook_disabled", webhook_id=str(hook.id), reason=reason)

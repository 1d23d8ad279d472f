"""The webhook dispatcher: sends due deliveries after commit, signed, through the guarded
client; retries connection errors, timeouts and 5xx with backoff and jitter for about three
days; a 410 disables the webhook at once; another 4xx (or a 3xx: redirects are never
followed) is final for that delivery. A webhook failing without a success for a day is
disabled and the room's owner is told.

Replicas share the work by claiming rows (`SKIP LOCKED` on PostgreSQL); a dispatcher killed
between send and mark leaves the row to be sent again once its claim runs out, with the
same `webhook-id` (at-least-once). Each endpoint has its own concurrency limit, and the
whole exchange its time limit, so one slow receiver never delays another.
"""

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import NAMESPACE_URL, uuid5

import structlog
from sqlalchemy import or_, select, update

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.outbound import Answer, Guard, post
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
    _limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def _limit(self, url: str) -> asyncio.Semaphore:
        key = url.split("/", 3)[2] if "//" in url else url
        if key not in self._limits:
            self._limits[key] = asyncio.Semaphore(self.settings.webhook_concurrency_per_endpoint)
        return self._limits[key]

    async def run_once(self) -> int:
        """Sends what is due now; returns how many deliveries succeeded."""
        claimed = await self._claim()
        results = await asyncio.gather(*(self._deliver(d, w, u) for d, w, u in claimed))
        return sum(results)

    async def _claim(self) -> list[tuple[WebhookDelivery, Webhook, object]]:
        now = utcnow()
        until = now + CLAIM + timedelta(seconds=self.settings.webhook_timeout)
        async with self.db.sessionmaker.begin() as session:
            query = (
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    Webhook.active.is_(True),
                    or_(
                        WebhookDelivery.claimed_until.is_(None),
                        WebhookDelivery.claimed_until < now,
                    ),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
            rows = [(row[0], row[1]) for row in (await session.execute(query)).all()]
            for delivery, _ in rows:
                delivery.claimed_until = until
                delivery.attempts += 1
        return [(delivery, hook, until) for delivery, hook in rows]

    async def _deliver(self, delivery: WebhookDelivery, hook: Webhook, until: object) -> int:
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
        async with self._limit(hook.url):
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

"""Webhooks: a room admin's routes, and the deliveries each event makes.

Every URL is checked by the kit's guard (common/outbound.py) when a webhook is created,
when its URL changes, and again on every send.
"""

from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import delete, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.errors import Conflict, InvalidField, NotFound, TooManyRequests
from tasksync.common.ids import uuid7
from tasksync.common.outbound import Guard, RefusedTarget
from tasksync.common.pagination import PageParams, Slice, decode_cursor, keyset_slice, uuid_value
from tasksync.common.ratelimit import WindowCounter
from tasksync.contracts.events import Envelope
from tasksync.notifications.models import Webhook, WebhookAttempt, WebhookDelivery
from tasksync.notifications.wakeups import wake_after_commit
from tasksync.notifications.webhooks import signing

NO_WEBHOOK = "No such webhook in this room."
NO_DELIVERY = "No such delivery of this webhook."
ROTATION_OVERLAP = timedelta(hours=24)


async def _checked_url(guard: Guard, url: str) -> str:
    try:
        await guard.check(url)
    except RefusedTarget as exc:
        raise InvalidField(f"Invalid fields: url ({exc})") from None
    return url


async def create(
    session: AsyncSession,
    guard: Guard,
    *,
    room_id: UUID,
    actor_id: UUID,
    data: Any,
    per_room: int,
) -> Webhook:
    count = await session.scalar(select(func.count()).where(Webhook.room_id == room_id))
    if (count or 0) >= per_room:
        raise Conflict(f"A room has at most {per_room} webhooks.")
    webhook = Webhook(
        room_id=room_id,
        url=await _checked_url(guard, data.url),
        events=sorted(set(data.events)),
        description=data.description,
        active=data.active,
        secret=signing.new_secret(),
        created_by=actor_id,
        created_at=utcnow(),
    )
    session.add(webhook)
    await session.flush()
    return webhook


async def listed(session: AsyncSession, *, room_id: UUID) -> list[Webhook]:
    query = select(Webhook).where(Webhook.room_id == room_id).order_by(Webhook.created_at)
    return list((await session.scalars(query)).all())


async def one(session: AsyncSession, *, room_id: UUID, webhook_id: UUID) -> Webhook:
    found = await session.get(Webhook, webhook_id)
    if found is None or found.room_id != room_id:
        raise NotFound(NO_WEBHOOK)
    return found


async def update(session: AsyncSession, guard: Guard, *, webhook: Webhook, changes: Any) -> Webhook:
    fields = changes.model_fields_set
    if "url" in fields and changes.url is not None:
        webhook.url = await _checked_url(guard, changes.url)
    if "events" in fields and changes.events is not None:
        webhook.events = sorted(set(changes.events))
    if "description" in fields:
        webhook.description = changes.description
    if "active" in fields and changes.active is not None:
        webhook.active = changes.active
        if changes.active:
            webhook.failing_since, webhook.disabled_reason = None, None
            _wake(session)  # what waited while it was disabled goes now
    await session.flush()
    return webhook


async def remove(session: AsyncSession, *, webhook: Webhook) -> None:
    await session.delete(webhook)


async def rotate(session: AsyncSession, *, webhook: Webhook) -> Webhook:
    """A new secret; the old one still signs (beside it) for 24 hours."""
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = utcnow() + ROTATION_OVERLAP
    webhook.secret = signing.new_secret()
    await session.flush()
    return webhook


def secrets_of(webhook: Webhook) -> list[str]:
    found = [webhook.secret]
    if webhook.previous_secret and (webhook.previous_secret_until or utcnow()) > utcnow():
        found.append(webhook.previous_secret)
    return found


def subscribed(patterns: list[str], event_type: str) -> bool:
    family = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, f"{family}.*") for p in patterns)


def public_payload(envelope: Envelope) -> str:
    """The event's public envelope: never a secret (events that carry one have no room and
    never reach a webhook)."""
    return orjson.dumps(
        {
            "id": str(envelope.id),
            "type": envelope.type,
            "occurred_at": envelope.occurred_at.isoformat(),
            "room_id": str(envelope.room_id) if envelope.room_id else None,
            "actor_id": str(envelope.actor_id) if envelope.actor_id else None,
            "data": envelope.data,
        }
    ).decode()


def _wake(session: AsyncSession) -> None:
    wake_after_commit(session, "wake_webhooks")


async def fan_out(session: AsyncSession, envelope: Envelope) -> int:
    """One delivery row per active webhook of the event's room subscribed to its type, in
    the consumer's transaction (a redelivered event adds none); the dispatcher sends it as
    soon as that transaction commits."""
    if envelope.room_id is None:
        return 0
    hooks = await session.scalars(
        select(Webhook).where(
            Webhook.room_id == envelope.room_id,
            Webhook.active.is_(True),
            Webhook.room_deleted_at.is_(None),
        )
    )
    written = 0
    payload = public_payload(envelope)
    for hook in hooks:
        if not subscribed(hook.events, envelope.type):
            continue
        statement = upsert(session, WebhookDelivery.__table__).values(
            webhook_id=hook.id,
            event_id=envelope.id,
            event_type=envelope.type,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        result = await session.execute(
            statement.on_conflict_do_nothing(index_elements=["webhook_id", "event_id"])
        )
        written += result.rowcount or 0
    if written:
        _wake(session)
    return written


PING_WINDOW_SECONDS = 60
PINGS_PER_WINDOW = 3


async def ping(
    session: AsyncSession, counter: WindowCounter, *, webhook: Webhook, actor_id: UUID
) -> WebhookDelivery:
    """A test event for this webhook alone (3 a minute per webhook, then 429)."""
    count = await counter.hit(f"webhook-ping:{webhook.id}", PING_WINDOW_SECONDS)
    if count > PINGS_PER_WINDOW:
        raise TooManyRequests(
            "Too many pings for this webhook; wait a minute.", retry_after=PING_WINDOW_SECONDS
        )
    event_id = uuid7()
    now = utcnow()
    payload = orjson.dumps(
        {
            "id": str(event_id),
            "type": "webhook.ping",
            "occurred_at": now.isoformat(),
            "room_id": str(webhook.room_id),
            "actor_id": str(actor_id),
            "data": {"webhook_id": str(webhook.id)},
        }
    ).decode()
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        event_id=event_id,
        event_type="webhook.ping",
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    _wake(session)
    return delivery


async def deliveries(
    session: AsyncSession, *, webhook: Webhook, page: PageParams
) -> Slice[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(page.limit + 1)
    )
    if page.cursor:
        (after,) = decode_cursor(page.cursor, uuid_value)
        query = query.where(WebhookDelivery.id < after)
    rows = (await session.scalars(query)).all()
    return keyset_slice(rows, page.limit, lambda row: [row.id])


async def attempts_of(session: AsyncSession, ids: list[UUID]) -> dict[UUID, list[WebhookAttempt]]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(ids))
        .order_by(WebhookAttempt.at)
    )
    found: dict[UUID, list[WebhookAttempt]] = {}
    for row in rows:
        found.setdefault(row.delivery_id, []).append(row)
    return found


async def redeliver(
    session: AsyncSession, *, webhook: Webhook, delivery_id: UUID
) -> WebhookDelivery:
    found = await session.get(WebhookDelivery, delivery_id)
    if found is None or found.webhook_id != webhook.id:
        raise NotFound(NO_DELIVERY)
    found.status, found.next_attempt_at, found.claimed_until = "pending", utcnow(), None
    await session.flush()
    _wake(session)
    return found


async def room_deleted(session: AsyncSession, envelope: Envelope) -> None:
    """The room's last event: `room.deleted` goes to its webhooks subscribed to it, then they
    are retired (no route reaches them any more, no event is added). Each retired webhook is
    removed with its log once nothing of it is pending (`sweep_retired`)."""
    await fan_out(session, envelope)
    await session.execute(
        sql_update(Webhook)
        .where(Webhook.room_id == envelope.room_id, Webhook.room_deleted_at.is_(None))
        .values(room_deleted_at=utcnow())
    )


async def sweep_retired(session: AsyncSession) -> int:
    """Removes the retired webhooks with nothing left to send (a disabled one at once: it
    sends nothing more); returns how many."""
    pending = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.webhook_id == Webhook.id, WebhookDelivery.status == "pending")
        .exists()
    )
    result = await session.execute(
        delete(Webhook).where(
            Webhook.room_deleted_at.is_not(None), or_(Webhook.active.is_(False), ~pending)
        )
    )
    return result.rowcount or 0

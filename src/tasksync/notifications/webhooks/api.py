from uuid import UUID

from fastapi import APIRouter, Request, status

from tasksync.common.db import DbSession
from tasksync.common.pagination import Page, Paging
from tasksync.common.room_roles import RoomAdmin
from tasksync.notifications.webhooks import service
from tasksync.notifications.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/api/v1/rooms/{room_id}/webhooks", tags=["webhooks"])


def _runtime(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.runtime


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    room_id: UUID, body: WebhookCreate, access: RoomAdmin, session: DbSession, request: Request
) -> WebhookWithSecret:
    """Add a webhook (admins and the owner); its secret is shown this once."""
    rt = _runtime(request)
    hook = await service.create(
        session,
        rt.webhook_guard,
        room_id=room_id,
        actor_id=access.caller.id,
        data=body,
        per_room=rt.settings.webhooks_per_room,
    )
    return WebhookWithSecret.model_validate(hook, from_attributes=True)


@router.get("")
async def list_webhooks(room_id: UUID, _: RoomAdmin, session: DbSession) -> list[WebhookRead]:
    """The room's webhooks (admins and the owner)."""
    found = await service.listed(session, room_id=room_id)
    return [WebhookRead.model_validate(h, from_attributes=True) for h in found]


@router.get("/{webhook_id}")
async def get_webhook(
    room_id: UUID, webhook_id: UUID, _: RoomAdmin, session: DbSession
) -> WebhookRead:
    """One webhook."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    return WebhookRead.model_validate(hook, from_attributes=True)


@router.patch("/{webhook_id}")
async def update_webhook(
    room_id: UUID,
    webhook_id: UUID,
    body: WebhookUpdate,
    _: RoomAdmin,
    session: DbSession,
    request: Request,
) -> WebhookRead:
    """Change a webhook; a new URL is checked like a new webhook's; `active: true` resumes
    a disabled one."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    hook = await service.update(
        session, _runtime(request).webhook_guard, webhook=hook, changes=body
    )
    return WebhookRead.model_validate(hook, from_attributes=True)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(room_id: UUID, webhook_id: UUID, _: RoomAdmin, session: DbSession) -> None:
    """Delete a webhook and its delivery log."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    await service.remove(session, webhook=hook)


@router.post("/{webhook_id}/secret")
async def rotate_secret(
    room_id: UUID, webhook_id: UUID, _: RoomAdmin, session: DbSession
) -> WebhookWithSecret:
    """A new secret, shown this once; for 24 hours deliveries carry signatures with both."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    hook = await service.rotate(session, webhook=hook)
    return WebhookWithSecret.model_validate(hook, from_attributes=True)


@router.post("/{webhook_id}/ping", status_code=status.HTTP_202_ACCEPTED)
async def ping(
    room_id: UUID, webhook_id: UUID, access: RoomAdmin, session: DbSession, request: Request
) -> None:
    """Send a test event (`webhook.ping`) to this webhook; 3 a minute."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    await service.ping(session, _runtime(request).pings, webhook=hook, actor_id=access.caller.id)


@router.get("/{webhook_id}/deliveries")
async def list_deliveries(
    room_id: UUID, webhook_id: UUID, _: RoomAdmin, session: DbSession, paging: Paging
) -> Page[DeliveryRead]:
    """The delivery log, newest first: each attempt's time, status code, duration, error
    and the first bytes of the answer."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    found = await service.deliveries(session, webhook=hook, page=paging)
    log = await service.attempts_of(session, [d.id for d in found.items])
    items = [
        DeliveryRead(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            log=[AttemptRead.model_validate(a, from_attributes=True) for a in log.get(d.id, [])],
        )
        for d in found.items
    ]
    return Page[DeliveryRead](items=items, next_cursor=found.next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=status.HTTP_202_ACCEPTED
)
async def redeliver(
    room_id: UUID,
    webhook_id: UUID,
    delivery_id: UUID,
    _: RoomAdmin,
    session: DbSession,
    request: Request,
) -> None:
    """Send a delivery again (a failed or dead one too), with the same `webhook-id`."""
    hook = await service.one(session, room_id=room_id, webhook_id=webhook_id)
    await service.redeliver(session, webhook=hook, delivery_id=delivery_id)

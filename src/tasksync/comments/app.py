from tasksync.comments.api import router
from tasksync.comments.events import handlers
from tasksync.comments.models import (
    Base,
    event_tables,
    idempotency_keys,
    known_users,
    room_roles,
    task_rooms,
)
from tasksync.comments.service import CommentGuard
from tasksync.comments.settings import CommentsSettings
from tasksync.common.app import ServiceDefinition
from tasksync.common.kit import Kit
from tasksync.common.ratelimit import window_counter


async def _start(kit: Kit) -> CommentGuard:
    settings = kit.settings
    assert isinstance(settings, CommentsSettings)
    return CommentGuard(window_counter(kit.redis, settings.redis_prefix), settings)


definition = ServiceDefinition(
    name="comments",
    settings=CommentsSettings,
    routers=[router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    known_users=known_users,
    task_rooms=task_rooms,
    idempotency_keys=idempotency_keys,
    start=_start,
    description="Discussions on tasks: comments, replies, mentions, edits and reactions.",
)

"""Operator commands of the activity service, run by the `tasksync activity ...` CLI."""

from tasksync.activity import service
from tasksync.activity.chain import Verdict
from tasksync.activity.models import Base
from tasksync.activity.settings import ActivitySettings
from tasksync.common import migrations
from tasksync.common.db import Database


async def verify(settings: ActivitySettings) -> Verdict:
    db = await Database.open(settings.database_url("activity"))
    try:
        await migrations.upgrade(db, "tasksync.activity", Base.metadata)
        async with db.engine.connect() as conn:
            return await service.verify(conn, batch_size=settings.activity_batch_size)
    finally:
        await db.close()

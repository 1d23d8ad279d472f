"""Operator commands of the users service, run by the `tasksync users ...` CLI."""

from datetime import timedelta

from tasksync.common import migrations
from tasksync.common.db import Database
from tasksync.common.events.outbox import Outbox
from tasksync.users import service
from tasksync.users.keys import KeyRing
from tasksync.users.models import Base, event_tables
from tasksync.users.settings import UsersSettings


async def _database(settings: UsersSettings) -> Database:
    # With its outbox: a promotion is announced (`user.admin_granted`) by the running relay.
    db = await Database.open(
        settings.database_url("users"), outbox=Outbox(event_tables.outbox, service="users")
    )
    await migrations.upgrade(db, "tasksync.users", Base.metadata)
    return db


async def promote(settings: UsersSettings, username: str) -> None:
    db = await _database(settings)
    try:
        async with db.sessionmaker.begin() as session:
            await service.promote(session, username=username)
    finally:
        await db.close()


async def rotate_key(settings: UsersSettings) -> str:
    db = await _database(settings)
    try:
        async with db.sessionmaker.begin() as session:
            ring = KeyRing(timedelta(minutes=settings.access_token_minutes))
            return await ring.rotate(session)
    finally:
        await db.close()

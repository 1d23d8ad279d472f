from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.app import ServiceDefinition
from tasksync.common.auth import JwksFetcher
from tasksync.common.kit import Kit
from tasksync.common.ratelimit import window_counter
from tasksync.common.settings import ServiceSettings
from tasksync.users import account_mail, service
from tasksync.users.account_mail import ResetGuard
from tasksync.users.api import admin, auth, jwks, users
from tasksync.users.dependencies import Runtime
from tasksync.users.guards import LoginGuard, RegistrationGuard
from tasksync.users.keys import KeyRing
from tasksync.users.models import Base, event_tables
from tasksync.users.passwords import PasswordHasher
from tasksync.users.settings import UsersSettings
from tasksync.users.tokens import TokenIssuer


def _local_jwks(app: FastAPI) -> JwksFetcher:
    async def fetch() -> dict:
        async with app.state.kit.db.sessionmaker() as session:
            return await app.state.runtime.keys.jwks(session)

    return fetch


async def _start(kit: Kit) -> Runtime:
    settings = kit.settings
    assert isinstance(settings, UsersSettings)
    revocations = kit.revocations
    assert revocations is not None
    keys = KeyRing(timedelta(minutes=settings.access_token_minutes))
    async with kit.db.sessionmaker.begin() as session:
        await keys.ensure_key(session)
    counter = window_counter(kit.redis, settings.redis_prefix)
    return Runtime(
        hasher=PasswordHasher(settings),
        guard=LoginGuard(counter, settings),
        registrations=RegistrationGuard(counter, settings),
        keys=keys,
        issuer=TokenIssuer(settings, keys, revocations),
        settings=settings,
        resets=ResetGuard(counter, settings),
    )


async def announce_failed_sign_ins(session: AsyncSession, _: ServiceSettings) -> None:
    await service.announce_failures(session)


async def forget_expired_email_tokens(session: AsyncSession, _: ServiceSettings) -> None:
    await account_mail.forget_expired(session)


definition = ServiceDefinition(
    name="users",
    settings=UsersSettings,
    routers=[auth, users, admin, jwks],
    metadata=Base.metadata,
    event_tables=event_tables,
    start=_start,
    jwks=_local_jwks,
    housekeeping=[announce_failed_sign_ins, forget_expired_email_tokens],
    description="Accounts, sign-in and access tokens.",
)

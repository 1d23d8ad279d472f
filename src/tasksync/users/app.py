from datetime import timedelta

from fastapi import FastAPI

from tasksync.common.app import build_service_app
from tasksync.common.auth import JwksFetcher
from tasksync.common.client import ServiceDirectory
from tasksync.common.events.local import InProcessBus
from tasksync.common.ratelimit import window_counter
from tasksync.users.api import admin, auth, jwks, users
from tasksync.users.dependencies import Runtime
from tasksync.users.keys import KeyRing
from tasksync.users.models import event_tables
from tasksync.users.passwords import PasswordHasher
from tasksync.users.service import LoginGuard
from tasksync.users.settings import UsersSettings
from tasksync.users.tokens import TokenIssuer

Settings = UsersSettings


def _local_jwks(app: FastAPI) -> JwksFetcher:
    async def fetch() -> dict:
        async with app.state.db.sessionmaker() as session:
            return await app.state.runtime.keys.jwks(session)

    return fetch


def create_app(
    settings: UsersSettings | None = None,
    *,
    services: ServiceDirectory | None = None,
    bus: InProcessBus | None = None,
) -> FastAPI:
    settings = settings or UsersSettings()

    async def start(app: FastAPI) -> None:
        keys = KeyRing(timedelta(minutes=settings.access_token_minutes))
        app.state.runtime = Runtime(
            hasher=PasswordHasher(settings),
            guard=LoginGuard(window_counter(app.state.redis, settings.redis_prefix), settings),
            keys=keys,
            issuer=TokenIssuer(settings, keys),
        )
        async with app.state.db.sessionmaker.begin() as session:
            await keys.ensure_key(session)

    return build_service_app(
        name="users",
        package="tasksync.users",
        settings=settings,
        routers=[auth, users, admin, jwks],
        services=services,
        on_startup=start,
        jwks=_local_jwks,
        events=event_tables,
        bus=bus,
        description="Accounts, sign-in and access tokens.",
    )

"""The one way a service app is built: the same middleware, errors, health and lifespan.

Each service's `app.py` declares one `ServiceDefinition`: its routers, tables, event handlers,
replicas and start hook. Everything else (database, migrations, Redis, token verification,
service clients, the event runtime, the replicas' handlers, housekeeping) is set up here,
inside the lifespan, so that tests and the embedded stack can build many apps in one process.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync import __version__
from tasksync.common import idempotency
from tasksync.common.auth import JwksFetcher, TokenVerifier
from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database
from tasksync.common.errors import ServiceUnavailable, install_error_handlers
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.local import InProcessBus
from tasksync.common.events.outbox import Outbox
from tasksync.common.events.runtime import EventRuntime
from tasksync.common.events.tables import EventTables
from tasksync.common.health import MetricsAccess, metrics_router
from tasksync.common.health import router as health_router
from tasksync.common.kit import RUNTIME, Kit
from tasksync.common.known_users import KnownUsers
from tasksync.common.observability import ObservabilityMiddleware, configure_logging
from tasksync.common.openapi import document_responses
from tasksync.common.redis_client import open_redis
from tasksync.common.revocations import Revocations
from tasksync.common.room_roles import RoleSource, RoomRoleReplica
from tasksync.common.security_headers import SecurityHeaders
from tasksync.common.settings import ServiceSettings
from tasksync.common.task_rooms import TaskRoomReplica
from tasksync.common.websocket_routes import DirectWebSockets

log = structlog.get_logger("tasksync.app")
JWKS_PATH = "/.well-known/jwks.json"
# FastAPI's own OpenTelemetry hooks look up the providers on every request (about 5 % of a
# read's CPU); TaskSync's metrics and logs come from ObservabilityMiddleware instead.
TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}

StartHook = Callable[[Kit], Awaitable[Any]]
StopHook = Callable[[Any], Awaitable[None]]
Chore = Callable[[AsyncSession], Awaitable[None]]
# A service's own chore also gets the service's settings.
ServiceChore = Callable[[AsyncSession, ServiceSettings], Awaitable[None]]


def users_jwks(services: ServiceDirectory) -> JwksFetcher:
    """Fetches the users service's public keys (through the service client)."""

    async def fetch() -> dict:
        response = await services.client("users").get(JWKS_PATH)
        if not response.ok:
            raise ServiceUnavailable("The users service did not give out its signing keys.")
        return response.json()

    return fetch


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything the kit needs to know about one service (its `app.py` declares it).

    - `metadata`: its tables (migrated from `<package>.migrations`);
    - `event_tables`: its outbox, inbox and dead letters, when it publishes or consumes;
    - `handlers`: what it does with other services' events;
    - `room_roles`: the replica of room roles it authorizes with, or a factory of its own
      `RoleSource` (the rooms service reads its memberships directly);
    - `known_users`: the replica of accounts, when it needs to know who exists;
    - `task_rooms`: the replica of which room each task is in, when it keeps things under
      tasks;
    - `idempotency_keys`: the table of `Idempotency-Key` answers (pruned by the kit);
    - `start`: builds the service's runtime object (`app.state.runtime`) from the kit;
      event handlers reach it too, as `runtime_of(session)` (common/kit.py);
    - `stop`: called with that runtime object at shutdown, once events have stopped;
    - `jwks`: where the service's verifier gets the signing keys (the users service signs
      them itself); `housekeeping`: chores run at start and every `housekeeping_interval`.
    """

    name: str
    settings: type[ServiceSettings]
    routers: Sequence[APIRouter]
    metadata: MetaData
    event_tables: EventTables | None = None
    handlers: EventHandlers | None = None
    room_roles: RoomRoleReplica | Callable[[Kit], RoleSource] | None = None
    known_users: KnownUsers | None = None
    task_rooms: TaskRoomReplica | None = None
    idempotency_keys: Table | None = None
    start: StartHook | None = None
    stop: StopHook | None = None
    jwks: Callable[[FastAPI], JwksFetcher] | None = None
    housekeeping: Sequence[ServiceChore] = ()
    description: str = ""
    package: str = ""
    _all_handlers: EventHandlers = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "package", self.package or f"tasksync.{self.name}")
        combined = EventHandlers(self.name)
        for replica in (self.room_roles, self.known_users, self.task_rooms):
            if isinstance(replica, RoomRoleReplica | KnownUsers | TaskRoomReplica):
                combined.include(replica.handlers)
        if self.handlers is not None:
            combined.include(self.handlers)
        object.__setattr__(self, "_all_handlers", combined)

    @property
    def consumed(self) -> EventHandlers | None:
        """Every handler the service runs: its replicas' first, then its own."""
        return self._all_handlers if self._all_handlers.types else None

    def create_app(
        self,
        settings: ServiceSettings | None = None,
        *,
        services: ServiceDirectory | None = None,
        bus: InProcessBus | None = None,
    ) -> FastAPI:
        """The service's app; `services` and `bus` are the embedded stack's shared ones."""
        return build_service_app(self, settings or self.settings(), services=services, bus=bus)


def build_service_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    services: ServiceDirectory | None = None,
    bus: InProcessBus | None = None,
) -> FastAPI:
    name = definition.name
    handlers = definition.consumed

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format)
        directory = services or ServiceDirectory(settings)
        tables = definition.event_tables
        outbox = Outbox(tables.outbox, service=name) if tables is not None else None
        # Without migrating at start, the database exists already (`tasksync migrate` made
        # it): no connection to the server just to ask.
        url, pool = settings.database_url(name), settings.db_pool_size
        db = (
            await Database.open(url, pool_size=pool, outbox=outbox)
            if settings.migrate_on_start
            else Database(url, pool_size=pool, outbox=outbox)
        )
        redis = open_redis(settings)
        try:
            if settings.migrate_on_start:
                # Imported here: Alembic costs a service ~8 MB it needs only to migrate.
                from tasksync.common import migrations

                await migrations.upgrade(db, definition.package, definition.metadata)
            kit = Kit(
                name=name,
                settings=settings,
                db=db,
                redis=redis,
                services=directory,
                known_users=definition.known_users,
                idempotency_keys=definition.idempotency_keys,
            )
            app.state.kit = kit
            fetch = definition.jwks(app) if definition.jwks else users_jwks(directory)
            app.state.verifier = TokenVerifier(
                fetch, refresh_cooldown=settings.jwks_refresh_cooldown
            )
            kit.revocations = app.state.revocations = Revocations(redis, settings.redis_prefix)
            kit.room_roles = _role_source(definition, kit)
            if definition.task_rooms is not None:
                kit.task_rooms = definition.task_rooms.source(directory.client("tasks"))
            app.state.runtime = await definition.start(kit) if definition.start else None
            db.put_in_sessions(RUNTIME, app.state.runtime)
            if tables is not None:
                kit.events = EventRuntime(
                    service=name,
                    db=db,
                    tables=tables,
                    settings=settings,
                    redis=redis,
                    local_bus=bus,
                    handlers=handlers,
                )
                await kit.events.start()
            chores = asyncio.create_task(
                _every(settings.housekeeping_interval, db, _chores(definition, settings))
            )
            try:
                yield
            finally:
                chores.cancel()
                await asyncio.gather(chores, return_exceptions=True)
                if kit.events is not None:
                    await kit.events.stop()
                if definition.stop is not None:
                    await definition.stop(app.state.runtime)
                for stop in reversed(kit.on_stop):
                    await stop()
        finally:
            if services is None:
                await directory.close()
            if redis is not None:
                await redis.aclose()
            await db.close()

    app = DirectWebSockets(
        title=f"TaskSync {name}",
        version=__version__,
        description=definition.description,
        lifespan=lifespan,
        telemetry=TELEMETRY_OFF,
        # A redirect to the slash-less path would be built from the Host header (or, behind
        # the gateway, from the service's own address): a trailing slash is a 404 instead.
        redirect_slashes=False,
        docs_url="/docs" if settings.service_docs else None,
        redoc_url="/redoc" if settings.service_docs else None,
    )
    app.state.service_name = name
    app.state.metrics_access = MetricsAccess.from_settings(settings)
    app.state.event_handlers = handlers
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        ObservabilityMiddleware, service=name, every_request=settings.access_log == "all"
    )
    add_routes(app, health_router, metrics_router)
    for router in definition.routers:
        _summaries_from_docstrings(router)
    add_routes(app, *definition.routers)
    if isinstance(definition.room_roles, RoomRoleReplica):
        add_routes(app, definition.room_roles.router)
    document_responses(app)
    return app


def stop_consuming_soon(app: FastAPI) -> None:
    """Tells a running service app to end its event reads (see EventRuntime)."""
    kit: Kit | None = getattr(app.state, "kit", None)
    if kit is not None and kit.events is not None:
        kit.events.stop_consuming_soon()


def _role_source(definition: ServiceDefinition, kit: Kit) -> RoleSource | None:
    if isinstance(definition.room_roles, RoomRoleReplica):
        return definition.room_roles.source(kit.services.client("rooms"))
    if definition.room_roles is not None:
        return definition.room_roles(kit)
    return None


def _chores(definition: ServiceDefinition, settings: ServiceSettings) -> list[Chore]:
    chores = [_with_settings(chore, settings) for chore in definition.housekeeping]
    retention = timedelta(days=settings.event_retention_days)
    if isinstance(replica := definition.room_roles, RoomRoleReplica):

        async def forget_old_tombstones(session: AsyncSession) -> None:
            await replica.forget_tombstones(session, retention)

        chores.append(forget_old_tombstones)
    if (task_rooms := definition.task_rooms) is not None:

        async def forget_deleted_tasks(session: AsyncSession) -> None:
            await task_rooms.forget_tombstones(session, retention)

        chores.append(forget_deleted_tasks)
    if (table := definition.idempotency_keys) is not None:

        async def forget_expired_idempotency_keys(session: AsyncSession) -> None:
            await idempotency.prune(session, table)

        chores.append(forget_expired_idempotency_keys)
    return chores


def _with_settings(chore: ServiceChore, settings: ServiceSettings) -> Chore:
    async def run(session: AsyncSession) -> None:
        await chore(session, settings)

    run.__name__ = chore.__name__
    return run


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Puts the routers' routes on the app itself. `include_router` keeps each router as a
    nested matcher, which cost every request some 40 us more to route (FastAPI 0.165); our
    routers hold no state of their own to include: each route already carries its router's
    prefix, tags and dependencies."""
    for router in routers:
        app.router.routes.extend(router.routes)


async def _every(interval: float, db: Database, chores: list[Chore]) -> None:
    while chores:
        for chore in chores:
            try:
                async with db.sessionmaker.begin() as session:
                    await chore(session)
            except Exception as exc:
                log.warning("housekeeping_failed", chore=chore.__name__, error=str(exc))
        await asyncio.sleep(interval)


def _summaries_from_docstrings(router: APIRouter) -> None:
    """A route's one-line docstring becomes its OpenAPI summary."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.description and not route.summary:
            route.summary = route.description.split("\n", 1)[0].rstrip(".")

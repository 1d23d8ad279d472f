"""The one way a service app is built: the same middleware, errors, health and lifespan.

A service's `create_app` names its routers and its start-up hook; everything else (database,
migrations, Redis, token verification, service clients) is set up here, inside the lifespan,
so that tests and the embedded stack can build many apps in one process.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync import __version__
from tasksync.common.auth import JwksFetcher, TokenVerifier
from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database
from tasksync.common.errors import ServiceUnavailable, install_error_handlers
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.local import InProcessBus
from tasksync.common.events.runtime import EventRuntime
from tasksync.common.events.tables import EventTables
from tasksync.common.health import metrics_router
from tasksync.common.health import router as health_router
from tasksync.common.observability import ObservabilityMiddleware, configure_logging
from tasksync.common.redis_client import open_redis
from tasksync.common.settings import ServiceSettings

StartupHook = Callable[[FastAPI], Awaitable[None]]
log = structlog.get_logger("tasksync.app")
JWKS_PATH = "/.well-known/jwks.json"
# FastAPI's own OpenTelemetry hooks look up the providers on every request (about 5 % of a
# read's CPU); TaskSync's metrics and logs come from ObservabilityMiddleware instead.
TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def users_jwks(services: ServiceDirectory) -> JwksFetcher:
    """Fetches the users service's public keys (through the service client)."""

    async def fetch() -> dict:
        response = await services.client("users").get(JWKS_PATH)
        if not response.ok:
            raise ServiceUnavailable("The users service did not give out its signing keys.")
        return response.json()

    return fetch


def build_service_app(
    *,
    name: str,
    package: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    services: ServiceDirectory | None = None,
    on_startup: StartupHook | None = None,
    jwks: Callable[[FastAPI], JwksFetcher] | None = None,
    events: EventTables | None = None,
    handlers: EventHandlers | None = None,
    bus: InProcessBus | None = None,
    housekeeping: Callable[[AsyncSession], Awaitable[None]] | None = None,
    description: str = "",
) -> FastAPI:
    """Builds a service app. `events` are its event tables (it publishes); `handlers` are
    what it does with other services' events; `bus` is the embedded stack's shared bus;
    `housekeeping` runs in its own transaction at start and then every
    `housekeeping_interval` seconds (pruning expired rows and the like)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format)
        directory = services or ServiceDirectory(settings)
        db = await Database.open(settings.database_url(name), pool_size=settings.db_pool_size)
        redis = open_redis(settings)
        try:
            if settings.migrate_on_start:
                # Imported here: Alembic costs a service ~8 MB it needs only to migrate.
                from tasksync.common import migrations

                await migrations.upgrade(db, package)
            app.state.db = db
            app.state.redis = redis
            app.state.services = directory
            fetch = jwks(app) if jwks else users_jwks(directory)
            app.state.verifier = TokenVerifier(
                fetch, refresh_cooldown=settings.jwks_refresh_cooldown
            )
            if on_startup:
                await on_startup(app)
            runtime = None
            if events is not None:
                runtime = EventRuntime(
                    service=name,
                    db=db,
                    tables=events,
                    settings=settings,
                    redis=redis,
                    local_bus=bus,
                    handlers=handlers,
                )
                await runtime.start()
            app.state.events = runtime
            chores = asyncio.create_task(_every(settings.housekeeping_interval, db, housekeeping))
            try:
                yield
            finally:
                chores.cancel()
                await asyncio.gather(chores, return_exceptions=True)
                if runtime is not None:
                    await runtime.stop()
        finally:
            if services is None:
                await directory.close()
            if redis is not None:
                await redis.aclose()
            await db.close()

    app = FastAPI(
        title=f"TaskSync {name}",
        version=__version__,
        description=description,
        lifespan=lifespan,
        telemetry=TELEMETRY_OFF,
    )
    app.state.service_name = name
    app.state.event_handlers = handlers
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(
        ObservabilityMiddleware, service=name, every_request=settings.access_log == "all"
    )
    add_routes(app, health_router, metrics_router)
    for router in routers:
        _summaries_from_docstrings(router)
    add_routes(app, *routers)
    return app


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Puts the routers' routes on the app itself. `include_router` keeps each router as a
    nested matcher, which cost every request some 40 us more to route (FastAPI 0.165); our
    routers hold no state of their own to include: each route already carries its router's
    prefix, tags and dependencies."""
    for router in routers:
        app.router.routes.extend(router.routes)


async def _every(
    interval: float, db: Database, chore: Callable[[AsyncSession], Awaitable[None]] | None
) -> None:
    while chore is not None:
        try:
            async with db.sessionmaker.begin() as session:
                await chore(session)
        except Exception as exc:
            log.warning("housekeeping_failed", error=str(exc))
        await asyncio.sleep(interval)


def _summaries_from_docstrings(router: APIRouter) -> None:
    """A route's one-line docstring becomes its OpenAPI summary."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.description and not route.summary:
            route.summary = route.description.split("\n", 1)[0].rstrip(".")

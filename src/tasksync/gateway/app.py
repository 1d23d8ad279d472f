from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from tasksync import __version__
from tasksync.common.app import TELEMETRY_OFF, add_routes, users_jwks
from tasksync.common.auth import TokenVerifier
from tasksync.common.client import ServiceDirectory
from tasksync.common.errors import install_error_handlers
from tasksync.common.health import MetricsAccess, metrics_router
from tasksync.common.observability import ObservabilityMiddleware, configure_logging
from tasksync.common.openapi import document_responses
from tasksync.common.redis_client import open_redis
from tasksync.common.revocations import Revocations
from tasksync.common.security_headers import SecurityHeaders
from tasksync.common.websocket_routes import DirectWebSockets
from tasksync.gateway import health, openapi, overview, websocket_proxy
from tasksync.gateway.dispatch import ServiceDispatch
from tasksync.gateway.mounted import running
from tasksync.gateway.overview import OverviewCache
from tasksync.gateway.settings import GatewaySettings
from tasksync.gateway.upstream import UpstreamPool
from tasksync.gateway.web_app import WebApp

Settings = GatewaySettings


class Gateway(DirectWebSockets):
    """WebSocket upgrades go to the service that owns their path (websocket_proxy), past the
    gateway's middleware (common/websocket_routes.py)."""

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await websocket_proxy.dispatch(scope, receive, send)


def create_app(
    settings: GatewaySettings | None = None, *, mounted: Mapping[str, FastAPI] | None = None
) -> FastAPI:
    """The gateway. With `mounted` service apps (the embedded stack) it calls them in-process
    and runs their lifespans inside its own; without, it proxies to their URLs."""
    settings = settings or GatewaySettings()
    mounted = dict(mounted or {})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format)
        directory = ServiceDirectory(settings, apps=mounted)
        redis = open_redis(settings)
        app.state.services = directory
        app.state.upstream = UpstreamPool(keep_alive_timeout=settings.http_keep_alive_timeout)
        app.state.overview_cache = OverviewCache(
            redis, settings.redis_prefix, settings.overview_cache_seconds
        )
        app.state.verifier = TokenVerifier(
            users_jwks(directory), refresh_cooldown=settings.jwks_refresh_cooldown
        )
        app.state.revocations = Revocations(redis, settings.redis_prefix)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(directory.close)
            stack.callback(app.state.upstream.close)
            if redis is not None:
                stack.push_async_callback(redis.aclose)
            await stack.enter_async_context(running(mounted.values()))
            yield

    app = Gateway(
        title="TaskSync gateway",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=TELEMETRY_OFF,
        redirect_slashes=False,  # as every service's (common/app.py)
    )
    app.state.settings = settings
    app.state.mounted = mounted
    app.state.metrics_access = MetricsAccess.from_settings(settings)
    install_error_handlers(app)
    add_routes(app, health.router, metrics_router, openapi.router, overview.router)
    document_responses(app)
    app.add_middleware(WebApp, root=settings.web_dist)
    app.add_middleware(ServiceDispatch)
    app.add_middleware(SecurityHeaders)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Location"],
        )
    app.add_middleware(ObservabilityMiddleware, service="gateway")
    return app

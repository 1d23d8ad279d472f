"""`/health` (the process is alive), `/ready` (its database, Redis and what the service adds
to `kit.checks` answer), `/metrics` (for the scrapers the settings name only)."""

import asyncio
import hmac
import ipaddress
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tasksync.common.errors import Forbidden, NotFound, ServiceUnavailable
from tasksync.common.settings import MetricsSettings

router = APIRouter(include_in_schema=False)
metrics_router = APIRouter(include_in_schema=False)


@router.get("/health")
async def health(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.state.service_name}


@router.get("/ready")
async def ready(request: Request) -> dict[str, str]:
    kit = request.app.state.kit
    checks = {"database": kit.db.ping()}
    if kit.redis is not None:
        checks["redis"] = kit.redis.ping()
    checks |= {name: check() for name, check in kit.checks.items()}
    results = await asyncio.gather(*checks.values(), return_exceptions=True)
    failed = [
        name
        for name, result in zip(checks, results, strict=True)
        if isinstance(result, BaseException)
    ]
    if failed:
        raise ServiceUnavailable(f"Not ready: {', '.join(failed)} not reachable.")
    return {"status": "ready", "service": kit.name}


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class MetricsAccess:
    """Who may read `/metrics`: a caller from an allowed network, or one with the token."""

    networks: tuple[Network, ...]
    token: bytes | None

    @classmethod
    def from_settings(cls, settings: MetricsSettings) -> "MetricsAccess":
        networks = tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in settings.metrics_allow.split(",")
            if part.strip()
        )
        token = (
            settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None
        )
        return cls(networks, token or None)

    def allows(self, request: Request) -> bool:
        if self.token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self.token
            ):
                return True
        try:
            address = ipaddress.ip_address(request.client.host if request.client else "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)


@metrics_router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not request.app.state.metrics_access.allows(request):
        raise Forbidden("Metrics are served to the configured scrapers only.")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _internal_caller(request: Request) -> None:
    """Another service or an operator's command: the same callers as `/metrics` (the
    configured networks, or the metrics token). Anyone else gets 404, as for no route."""
    if not request.app.state.metrics_access.allows(request):
        raise NotFound("No such route.")


# A route that serves data to other services without a user behind the call (a rebuild of a
# read model): the gateway routes no `/internal/` path, and this keeps others out.
InternalCaller = Annotated[None, Depends(_internal_caller)]

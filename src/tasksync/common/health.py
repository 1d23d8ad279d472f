"""`/health` (the process is alive), `/ready` (its database, Redis and what the service adds
to `kit.checks` answer), `/metrics`."""

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tasksync.common.errors import ServiceUnavailable

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


@metrics_router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

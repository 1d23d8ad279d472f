"""The gateway's health: its own, and that of every service behind it."""

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request

from tasksync.common import registry

router = APIRouter(include_in_schema=False)


async def _probe(request: Request, service: str) -> dict[str, Any]:
    state = request.app.state
    started = time.perf_counter()
    try:
        async with asyncio.timeout(state.settings.health_timeout):
            response = await state.services.client(service).get("/health")
        status = "ok" if response.ok else "failing"
    except Exception:
        status = "down"
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    services = registry.NAMES
    probes = await asyncio.gather(*(_probe(request, s) for s in services))
    report = dict(zip(services, probes, strict=True))
    healthy = all(p["status"] == "ok" for p in probes)
    return {"status": "ok" if healthy else "degraded", "service": "gateway", "services": report}


@router.get("/ready")
async def ready() -> dict[str, str]:
    return {"status": "ready", "service": "gateway"}

"""One OpenAPI document for the whole API, merged from every service's, with Swagger UI and
ReDoc pages on top of it."""

import asyncio
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tasksync import __version__
from tasksync.common import registry
from tasksync.common.client import ServiceDirectory
from tasksync.common.openapi import add_problem_schemas, problem_response
from tasksync.gateway import docs_pages

router = APIRouter(include_in_schema=False)
OPENAPI_URL = "/api/openapi.json"
CACHE_SECONDS = 30.0
# What the gateway itself may answer on every path it hands on to a service: it verifies any
# bearer token it is sent (401), and a service may be down (503) or slow (504).
GATEWAY_STATUSES = (401, 503, 504)
DISPATCHED = ("/api/v1/", "/.well-known/")
OAUTH2_REDIRECT_URL = "/api/docs/oauth2-redirect"
SWAGGER_UI = docs_pages.swagger_ui(
    openapi_url=OPENAPI_URL, oauth2_redirect_url=OAUTH2_REDIRECT_URL, title="TaskSync API"
)
REDOC = docs_pages.redoc(openapi_url=OPENAPI_URL, title="TaskSync API")
OAUTH2_REDIRECT = docs_pages.oauth2_redirect()
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _rename_refs(document: Any, renames: dict[str, str]) -> Any:
    text = orjson.dumps(document).decode()
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    return orjson.loads(text)


def merge(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merges service specs; a schema name two services define differently gets the
    service's name as a prefix."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "TaskSync API",
            "version": __version__,
            "description": "Every TaskSync service, reached through the gateway.",
        },
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
        "tags": [],
    }
    schemas = merged["components"]["schemas"]
    for service, spec in specs.items():
        components = spec.get("components", {})
        renames = {
            name: f"{service}_{name}"
            for name, schema in components.get("schemas", {}).items()
            if name in schemas and schemas[name] != schema
        }
        if renames:
            spec = _rename_refs(spec, renames)
            components = spec.get("components", {})
        schemas.update(components.get("schemas", {}))
        merged["components"]["securitySchemes"].update(components.get("securitySchemes", {}))
        merged["paths"].update(spec.get("paths", {}))
        known = {tag["name"] for tag in merged["tags"]}
        merged["tags"].extend(t for t in spec.get("tags", []) if t["name"] not in known)
    _add_gateway_answers(merged)
    return add_problem_schemas(merged)


def _add_gateway_answers(document: dict[str, Any]) -> None:
    """Documents on every operation behind the gateway the answers the gateway gives itself,
    whatever the service's route is."""
    for path, operations in document["paths"].items():
        if not path.startswith(DISPATCHED):
            continue
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in GATEWAY_STATUSES:
                responses.setdefault(str(status), problem_response(status))


async def fetch_specs(directory: ServiceDirectory, services: tuple[str, ...]) -> dict[str, dict]:
    responses = await asyncio.gather(
        *(directory.client(s).get("/openapi.json") for s in services), return_exceptions=True
    )
    return {
        service: response.json()
        for service, response in zip(services, responses, strict=True)
        if not isinstance(response, BaseException) and response.ok
    }


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> Response:
    state = request.app.state
    cached = getattr(state, "openapi_cache", None)
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        specs = await fetch_specs(state.services, registry.NAMES)
        body = orjson.dumps(merge({"gateway": request.app.openapi(), **specs}))
        if len(specs) == len(registry.NAMES):  # cache only a complete document
            state.openapi_cache = (time.monotonic(), body)
    else:
        body = cached[1]
    return Response(body, media_type="application/json")


@router.get("/api/docs")
async def swagger_ui() -> HTMLResponse:
    return SWAGGER_UI.response()


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return OAUTH2_REDIRECT.response()


@router.get("/api/redoc")
async def redoc() -> HTMLResponse:
    return REDOC.response()

"""Domain errors and their rendering as RFC 9457 problem details.

Services raise these; one set of handlers turns every failure (domain, validation, unknown
route, crash) into `application/problem+json`. No stack trace ever reaches a client.
"""

from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
log = structlog.get_logger("tasksync.errors")


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"
    # An error after which the unit of work still commits (e.g. revoking a stolen token family).
    keeps_changes = False

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}


class BadRequest(DomainError):
    """A well-formed request that cannot be used (e.g. a cursor from another list)."""


class InvalidField(DomainError):
    """A well-formed field that cannot be used (an assignee outside the room, a parent from
    another task): rendered like a validation error."""

    status, slug, title = 422, "validation-error", "Invalid request"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class GatewayTimeout(DomainError):
    status, slug, title = 504, "gateway-timeout", "Gateway timeout"


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]


async def _domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(exc.status, exc.slug, exc.title, exc.detail, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = "The body is not valid JSON."
    else:
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) or e["loc"][0] for e in errors)
        detail = f"Invalid fields: {fields}"
    return problem_response(422, "validation-error", "Invalid request", detail, errors=errors)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("error", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such resource"
    return problem_response(exc.status_code, slug, title, detail, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return problem_response(
        500, "internal-error", "Internal error", "Something went wrong on our side; try again."
    )


# SQLSTATEs of values a client sent that the database cannot store: 22021
# (character_not_in_repertoire) is PostgreSQL refusing a NUL (U+0000) in a text.
UNSTORABLE_VALUE_STATES = frozenset({"22021"})


def unstorable_value(exc: BaseException) -> bool:
    """Whether a database error says a value sent by the client cannot be stored."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in UNSTORABLE_VALUE_STATES


async def _database_error(request: Request, exc: Exception) -> Response:
    """A text the database cannot store (a NUL character, on PostgreSQL) is an invalid field
    of the request, a 422 like any other; every other database failure is an internal error."""
    if unstorable_value(exc):
        return problem_response(
            422,
            "validation-error",
            "Invalid request",
            "A text contains a character that cannot be stored (NUL, U+0000).",
        )
    return await _unexpected_error(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)

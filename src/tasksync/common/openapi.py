"""What every operation's OpenAPI entry says it can answer, declared once for the whole kit.

Services write routes; `document_responses(app)` (called by `build_service_app` once every
route is on the app, and by the gateway for its own) reads each `APIRoute` and adds the
answers it can give besides its success, so that the document is a contract a client (and
the schemathesis suite in `tests/api`) can trust:

- errors are `application/problem+json` bodies of the `Problem` schema (RFC 9457, as
  `tasksync.common.errors` renders them), replacing FastAPI's own `HTTPValidationError` for
  422;
- which statuses apply is read from the route itself (`route_facts`):

  ======  ===============================================================================
  400     a body (unreadable form) or a `cursor` parameter (one this list did not give out)
  401     it authenticates (`bearer_scheme` anywhere in its dependency tree), or it writes
          (signing in, refreshing and signing out refuse wrong credentials with 401)
  403     it authenticates or writes (a role too low, a deactivated account, a wrong
          password)
  404     it authenticates or takes path ids (a room, task or user that is not there or
          not visible to the caller)
  409     it writes (a taken name, a concurrent change, an `Idempotency-Key` in flight)
  412     it takes an `If-Match` header (a stale `ETag`)
  413     it takes a body (too large)
  415     it takes a body (not a media type it reads)
  422     it takes a body or parameters (invalid fields, as problem+json with `errors`)
  429     it writes (sign-in, registration and join codes are rate-limited), with
          `Retry-After`
  500     always (a bug: never part of normal operation, but its body is a problem too)
  503     always (its database or a service it needs is down), with `Retry-After`
  504     always (a service it needs did not answer in time)
  ======  ===============================================================================

  Documenting a status that a route never gives costs a client nothing; leaving out one
  it gives breaks the contract, so the rules err on the generous side.
- 401 answers carry `WWW-Authenticate: Bearer`;
- the success answer of a route that sets an `ETag` documents that header, required. A
  route sets it when its endpoint takes a `response: Response` parameter (how TaskSync
  routes add the `ETag` of what they answer) or when its docstring mentions `ETag` (a route
  that builds its own `Response`, like `GET /api/v1/tasks/{task_id}`). A route can also say
  so explicitly with `openapi_extra=with_etag()` (or `with_etag(False)` to opt out).

What a route declares in its own `responses=` wins over these defaults.
"""

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tasksync.common.auth import bearer_scheme
from tasksync.common.errors import PROBLEM_CONTENT_TYPE

REF = "#/components/schemas/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ETAG_EXTENSION = "x-tasksync-etag"

PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem detail: what went wrong, for people and programs.",
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "title": "Type",
                "description": "Identifies the kind of problem, e.g. `/problems/not-found`.",
            },
            "title": {"type": "string", "title": "Title"},
            "status": {"type": "integer", "title": "Status", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "title": "Detail"},
            "errors": {
                "type": "array",
                "title": "Errors",
                "description": "For validation errors: every offending field.",
                "items": {"$ref": f"{REF}ProblemFieldError"},
            },
        },
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "description": "One invalid field: where it is (`loc`), what is wrong, its error type.",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {
                "type": "array",
                "title": "Location",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            },
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
        },
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
WWW_AUTHENTICATE = {
    "description": "How to authenticate: `Bearer` (an access token).",
    "required": True,
    "schema": {"type": "string"},
}
ETAG = {
    "description": "The version of what is answered; send it back in `If-Match` to update it.",
    "required": True,
    "schema": {"type": "string", "pattern": r'^(W/)?"[^"]*"$'},
}

DESCRIPTIONS = {
    400: "Bad request: a body that cannot be read, or a cursor this list did not give out.",
    401: "Authentication required: no access token, an invalid or expired one, or wrong "
    "credentials.",
    403: "Forbidden: your role or account does not allow this.",
    404: "Not found, or not visible to you.",
    409: "Conflict with the current state (taken, changed meanwhile, in progress); retry or "
    "read it again.",
    412: "Precondition failed: `If-Match` names a version that is no longer current.",
    413: "The body is too large.",
    415: "The body is not of a media type this operation reads.",
    422: "Invalid request: the offending fields are listed in `errors`.",
    429: "Too many requests: wait `Retry-After` seconds.",
    500: "Internal error: a bug on our side (never part of normal operation).",
    503: "Service unavailable: a database or a service it needs is down; retry after "
    "`Retry-After` seconds.",
    504: "A service it needs did not answer in time.",
}
HEADERS = {401: {"WWW-Authenticate": WWW_AUTHENTICATE}, 429: {"Retry-After": RETRY_AFTER}}
HEADERS[503] = {"Retry-After": RETRY_AFTER}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of a problem answer with this status."""
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "A problem."),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": f"{REF}Problem"}}},
    }
    if status in HEADERS:
        response["headers"] = copy.deepcopy(HEADERS[status])
    return response


def with_etag(answers_etag: bool = True) -> dict[str, Any]:
    """`openapi_extra` saying explicitly whether a route's success answer carries an `ETag`
    (`@router.get(..., openapi_extra=with_etag())`), instead of the rule of thumb."""
    return {ETAG_EXTENSION: answers_etag}


@dataclass(frozen=True)
class RouteFacts:
    """What a route's signature tells about the answers it can give."""

    authenticates: bool
    writes: bool
    path_params: bool
    params: bool
    body: bool
    cursor: bool
    if_match: bool
    etag: bool

    def statuses(self) -> list[int]:
        rules: list[tuple[int, bool]] = [
            (400, self.body or self.cursor),
            (401, self.authenticates or self.writes),
            (403, self.authenticates or self.writes),
            (404, self.authenticates or self.path_params),
            (409, self.writes),
            (412, self.if_match),
            (413, self.body),
            (415, self.body),
            (422, self.body or self.params),
            (429, self.writes),
            (500, True),
            (503, True),
            (504, True),
        ]
        return [status for status, applies in rules if applies]


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _names(fields: list[Any]) -> set[str]:
    return {str(getattr(f, "alias", None) or f.name).lower() for f in fields}


def route_facts(route: APIRoute) -> RouteFacts:
    """Reads the route's dependency tree (its own parameters and every dependency's)."""
    tree = list(_dependants(route.dependant))
    calls: list[Callable[..., Any] | None] = [d.call for d in tree]
    queries = set().union(*(_names(d.query_params) for d in tree))
    headers = set().union(*(_names(d.header_params) for d in tree))
    path_params = any(d.path_params for d in tree)
    params = path_params or any(d.query_params or d.header_params or d.cookie_params for d in tree)
    body = route.body_field is not None or any(d.body_params for d in tree)
    extra = (route.openapi_extra or {}).get(ETAG_EXTENSION)
    if extra is None:
        docstring = route.description or route.endpoint.__doc__ or ""
        etag = route.dependant.response_param_name is not None or "ETag" in docstring
    else:
        etag = bool(extra)
    return RouteFacts(
        authenticates=any(call is bearer_scheme for call in calls),
        writes=bool(route.methods & WRITES),
        path_params=path_params,
        params=params,
        body=body,
        cursor="cursor" in queries,
        if_match="if-match" in headers,
        etag=etag,
    )


def _document_route(route: APIRoute) -> None:
    facts = route_facts(route)
    responses = dict(route.responses)
    for status in facts.statuses():
        if status not in responses and str(status) not in responses:
            responses[status] = problem_response(status)
    if facts.etag:
        success = route.status_code or 200
        answer = copy.deepcopy(responses.get(success, {}))
        answer.setdefault("headers", {}).setdefault("ETag", ETAG)
        responses[success] = answer
    route.responses = responses


def add_problem_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Puts the `Problem` schemas in a document's components, and drops FastAPI's own
    validation error schemas when nothing refers to them any more."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(PROBLEM_SCHEMAS))
    text = repr(document.get("paths", {}))
    if f"{REF}HTTPValidationError" not in text:
        schemas.pop("HTTPValidationError", None)
        if f"{REF}ValidationError" not in text:
            schemas.pop("ValidationError", None)
    return document


def document_responses(app: FastAPI) -> None:
    """Declares the problem+json answers (and `Retry-After`, `WWW-Authenticate`, `ETag`
    headers) of every route of `app`, once, for the whole kit (see the module docstring)."""
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            _document_route(route)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_schemas(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The API contract: every operation of the merged OpenAPI document, fuzzed by schemathesis.

The embedded stack runs in this test's event loop, like every other stack test; schemathesis
and Hypothesis (synchronous) run in a worker thread and send each generated request back to
that loop through `LoopAdapter`, a `requests` adapter. Every answer is checked against the
document the gateway serves at `/api/openapi.json`: no server error, a documented status,
content type, headers (`ETag`, `Retry-After`, `WWW-Authenticate`) and body; invalid data
must be refused with a 4xx; a success of an operation that requires the bearer token must
become a 401 without it.

Each operation runs in its own `World` (a fresh owner, a member, a room, a task), so nothing
an operation does (deleting the room, handing it over, changing the profile) can change what
another one sees: the order of operations does not matter, and none is skipped. Generated
path ids are mixed with the world's real ones, so both the 404 answers and the deeper ones
(200, 403, 409, 412) are reached. Logging out, refreshing and deleting the account need a
refresh token or the password in the body, which generated data never guesses: those
operations answer 401/403 and leave the signed-in user alone. The two admin operations run
as a system administrator (promoted the way an operator does it).

Examples come from a fixed seed (the same ones on every run) and are bounded, so the suite
takes some 40 s on PostgreSQL. To search further by hand: `TASKSYNC_API_EXAMPLES=10`
runs ten times as many examples, `TASKSYNC_API_SEED=<n>` other (reproducible) ones, and
`TASKSYNC_API_REPORT=1` (with `-s`) prints the statuses seen for each operation.
"""

import asyncio
import io
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import requests.adapters
import schemathesis
import urllib3
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tasksync import stack
from tasksync.gateway.openapi import OPENAPI_URL
from tasksync.users import commands
from tests.helpers.builders import Person, assert_problem, signed_up
from tests.helpers.comments import comment_on
from tests.helpers.rooms import create_room, join
from tests.helpers.tasks import create_task

# The contract is the routes' and schemas', the same on both backends; PostgreSQL, the
# stricter of the two about what it stores (a NUL byte in text, say), is the one it runs on.
pytestmark = [
    pytest.mark.only_backend("postgres"),
    # schemathesis' own negative strategies draw from `random` for some operations, which
    # Hypothesis deprecates: its warning, not a finding about the API.
    pytest.mark.filterwarnings(
        "ignore:Do not use the `random` module inside strategies"
        ":hypothesis.errors.HypothesisDeprecationWarning"
    ),
]

BASE_URL = "http://testserver"
# Examples per operation and generation mode: 41 operations x 13 examples (and a world
# each) take about 40 s of one core; the whole suite shares two.
SCALE = int(os.environ.get("TASKSYNC_API_EXAMPLES", "1"))
# One fixed seed: the same examples on every run, whatever the edits to this file.
SEED = int(os.environ.get("TASKSYNC_API_SEED", "0"))
POSITIVE_EXAMPLES = 8 * SCALE
NEGATIVE_EXAMPLES = 5 * SCALE
# Fuzzed requests and the set-up of each world come from different client addresses: the
# sign-in rate limit per address (which generated logins reach) never refuses a set-up.
FUZZ_CLIENT = ("192.0.2.10", 50000)
SETUP_CLIENT = ("198.51.100.20", 50000)
REQUEST_TIMEOUT = 60.0

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

TIME_FIELDS = frozenset({"deadline", "due_before", "due_after"})
NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _numbers_for_times(case: schemathesis.Case) -> bool:
    """Whether the case sends a number (or a numeric string) for a date-time field."""
    sent: list[Any] = []
    for container in (case.query, case.body):
        if isinstance(container, dict):
            for name in TIME_FIELDS & container.keys():
                value = container[name]
                sent += value if isinstance(value, list) else [value]
    return any(
        (isinstance(v, int | float) and not isinstance(v, bool))
        or (isinstance(v, str) and NUMBER.fullmatch(v) is not None)
        for v in sent
    )


def invalid_data_refused(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Invalid data must be refused with a 4xx (`negative_data_rejection`), with one known
    exception, pinned by `test_a_number_is_not_a_time` below: pydantic reads a number sent
    for a date-time (`deadline`, `due_before`, `due_after`) as a Unix time, so `deadline: 0`
    is taken for 1970 instead of refused. Drop the exception with the fix."""
    try:
        negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if not _numbers_for_times(case):
            raise


def token_required(session: requests.Session) -> Callable[..., None]:
    """schemathesis' own `ignored_auth` skips OAuth2 schemes (ours): this check sends a
    success of an operation that declares the bearer scheme again, without the token."""

    def refused_without_the_token(
        ctx: Any, response: schemathesis.Response, case: schemathesis.Case
    ) -> None:
        if not case.operation.definition.raw.get("security") or response.status_code >= 300:
            return
        bare = case.call(base_url=BASE_URL, session=session)
        assert bare.status_code == 401, (
            f"{case.operation.label} answered {response.status_code} with the token and "
            f"{bare.status_code} without it (expected 401)"
        )
        case.validate_response(bare, checks=CHECKS)

    return refused_without_the_token


class LoopAdapter(requests.adapters.BaseAdapter):
    """Sends what `requests` prepared through an httpx client bound to another thread's
    event loop (the one the app runs in), and answers a real `requests.Response`."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.client = client
        self.loop = loop
        self._build = requests.adapters.HTTPAdapter().build_response
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        body = request.body
        content = body.encode() if isinstance(body, str) else (body or b"")
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in {"accept-encoding", "content-length"}
        ]
        call = self.client.request(
            request.method or "GET", request.url or "/", headers=headers, content=content
        )
        answer = asyncio.run_coroutine_threadsafe(call, self.loop).result(REQUEST_TIMEOUT)
        self.sent += 1
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=list(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
        )
        return self._build(request, raw)

    def close(self) -> None:
        pass


@dataclass
class World:
    """What one operation is fuzzed against: `owner` (the caller) owns `room`, with `task`
    in it and the owner's `comment` on it, and `member` belongs to it."""

    owner: Person
    member: Person
    room: dict[str, Any]
    task: dict[str, Any]
    comment: dict[str, Any]

    @property
    def ids(self) -> dict[str, str]:
        return {
            "room_id": self.room["id"],
            "task_id": self.task["id"],
            "user_id": self.member.id,
            "comment_id": self.comment["id"],
        }


async def build_world(client: httpx.AsyncClient, settings: dict[str, Any], *, admin: bool) -> World:
    tag = uuid.uuid4().hex[:10]
    owner = await signed_up(client, f"own{tag}")
    member = await signed_up(client, f"mem{tag}")
    if admin:
        await commands.promote(stack.settings_for("users", **settings), owner.username)
    room = await create_room(client, owner, f"Room {tag}")
    await join(client, member, room["code"])
    task = await create_task(client, owner, room["id"], f"Task {tag}")
    comment = await comment_on(client, owner, task["id"], f"Comment {tag}")
    return World(owner, member, room, task, comment)


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[tuple[str, int]] = field(default_factory=Counter)


def fuzz(
    operation: schemathesis.APIOperation, world: World, session: requests.Session, tally: Tally
) -> None:
    """Runs one operation's positive, then negative, examples (in the worker thread)."""
    path_ids = {name: value for name, value in world.ids.items() if f"{{{name}}}" in operation.path}
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    if path_ids:  # about half the examples reach the world's real room, task or member
        positive = st.one_of(positive, operation.as_strategy(path_parameters=path_ids))
    checks = [*CHECKS, token_required(session)]
    _examples(positive, POSITIVE_EXAMPLES, checks, session, world.owner.headers, tally)()
    inputs = [operation.path_parameters, operation.query, operation.headers, operation.body]
    if any(len(part) for part in inputs):  # else there is nothing to make invalid
        negative = operation.as_strategy(GenerationMode.NEGATIVE)
        checks = [*CHECKS, invalid_data_refused]
        _examples(negative, NEGATIVE_EXAMPLES, checks, session, world.owner.headers, tally)()


def _examples(
    strategy: st.SearchStrategy[schemathesis.Case],
    examples: int,
    checks: list[Any],
    session: requests.Session,
    headers: dict[str, str],
    tally: Tally,
) -> Callable[[], None]:
    @hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(SEED)
    @hypothesis.given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        tally.examples += 1
        response = case.call(base_url=BASE_URL, session=session, headers=headers)
        tally.statuses[response.status_code] += 1
        tally.by_operation[case.operation.label, response.status_code] += 1
        case.validate_response(
            response,
            checks=checks,
            headers=headers,
            transport_kwargs={"base_url": BASE_URL, "session": session, "headers": headers},
        )

    return run


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Hypothesis is synchronous: it runs in a thread while this loop serves its requests."""
    return await asyncio.to_thread(function, *args)


async def test_every_operation_keeps_the_documented_contract(
    settings: dict[str, Any], subtests: pytest.Subtests
) -> None:
    loop = asyncio.get_running_loop()
    app = stack.build_embedded(**settings)
    async with app.router.lifespan_context(app):
        setup = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=SETUP_CLIENT), base_url=BASE_URL
        )
        fuzzed = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=FUZZ_CLIENT), base_url=BASE_URL
        )
        async with setup, fuzzed:
            document = (await setup.get(OPENAPI_URL)).raise_for_status().json()
            schema = schemathesis.openapi.from_dict(document)
            adapter = LoopAdapter(fuzzed, loop)
            session = requests.Session()
            session.mount("http://", adapter)
            tally = Tally()
            started = time.perf_counter()
            # `ok()` raises for an operation schemathesis cannot read: none is left out.
            operations = [result.ok() for result in schema.get_all_operations()]
            assert len(operations) == sum(len(ops) for ops in document["paths"].values())
            for operation in operations:
                with subtests.test(operation=operation.label):
                    admin = operation.path.startswith("/api/v1/admin/")
                    world = await build_world(setup, settings, admin=admin)
                    tally.operations += 1
                    await _in_thread(fuzz, operation, world, session, tally)
            elapsed = time.perf_counter() - started
            print(
                f"\nschemathesis {schemathesis.__version__}: {tally.operations} operations, "
                f"{tally.examples} examples, {adapter.sent} requests in {elapsed:.1f} s; "
                + ", ".join(f"{code}: {n}" for code, n in sorted(tally.statuses.items()))
            )
            if os.environ.get("TASKSYNC_API_REPORT"):
                for label in sorted({label for label, _ in tally.by_operation}):
                    seen = {c: n for (lb, c), n in tally.by_operation.items() if lb == label}
                    print(f"  {label}: {dict(sorted(seen.items()))}")


# What the document itself must say, whatever the examples happen to reach.
ETAG_OPERATIONS = {
    ("get", "/api/v1/rooms/{room_id}"),
    ("patch", "/api/v1/rooms/{room_id}"),
    ("post", "/api/v1/rooms"),
    ("post", "/api/v1/rooms/{room_id}/code"),
    ("post", "/api/v1/rooms/{room_id}/tasks"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("patch", "/api/v1/tasks/{task_id}"),
    ("post", "/api/v1/tasks/{task_id}/comments"),
    ("get", "/api/v1/comments/{comment_id}"),
    ("patch", "/api/v1/comments/{comment_id}"),
    ("get", "/api/v1/files/{file_id}/content"),
}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


async def test_the_document_declares_every_answer(client: httpx.AsyncClient) -> None:
    document = (await client.get(OPENAPI_URL)).raise_for_status().json()
    schemas = document["components"]["schemas"]
    assert {"Problem", "ProblemFieldError"} <= schemas.keys()
    assert "HTTPValidationError" not in schemas
    etags = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            responses = operation["responses"]
            for status in ("401", "500", "503", "504"):
                assert responses.get(status, {}).get("content") == PROBLEM, (label, status)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"], label
            assert responses["503"]["headers"]["Retry-After"]["required"], label
            if "429" in responses:
                assert responses["429"]["headers"]["Retry-After"]["required"], label
            if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
                assert "412" in responses, label
            success = next(s for s in responses if s.startswith("2"))
            if "ETag" in responses[success].get("headers", {}):
                etags.add((method, path))
    assert etags == ETAG_OPERATIONS


async def test_a_number_is_not_a_time(client: httpx.AsyncClient) -> None:
    ann = await signed_up(client, "ann")
    room = await create_room(client, ann)
    created = await client.post(
        f"/api/v1/rooms/{room['id']}/tasks",
        json={"title": "Epoch", "deadline": 0},
        headers=ann.headers,
    )
    listed = await client.get("/api/v1/tasks", params={"due_before": "0"}, headers=ann.headers)
    assert (created.status_code, listed.status_code) == (422, 422)


async def test_a_nul_character_is_refused_everywhere_the_same_on_both_backends(
    client: httpx.AsyncClient,
) -> None:
    """Found by the contract suite and the security probe: PostgreSQL cannot store U+0000
    (a 500 once) while SQLite stored it. Every text input now refuses it with a 422 naming
    the field, on both backends, and nothing is written."""
    ann = await signed_up(client, "ann")
    room = await create_room(client, ann)
    rooms, tasks = f"/api/v1/rooms/{room['id']}", f"/api/v1/rooms/{room['id']}/tasks"
    writes = [
        ("POST", "/api/v1/auth/register", {"username": "bob", "password": "pass\x00word"}),
        ("POST", "/api/v1/auth/login", {"username": "ann\x00", "password": "x"}),
        ("PATCH", "/api/v1/users/me", {"full_name": "Ann\x00"}),
        ("POST", "/api/v1/rooms", {"name": "a\x00b"}),
        ("PATCH", rooms, {"description": "a\x00b"}),
        ("POST", "/api/v1/rooms/join", {"code": "ABC\x00DEF"}),
        ("POST", tasks, {"title": "a\x00b"}),
    ]
    for method, path, body in writes:
        response = await client.request(method, path, json=body, headers=ann.headers)
        problem = assert_problem(response, 422)
        assert "NUL" in str(problem["errors"]), (method, path)
    for path in ("/api/v1/users", "/api/v1/tasks", tasks):
        response = await client.get(path, params={"q": "a\x00"}, headers=ann.headers)
        assert_problem(response, 422)
    listed = await client.get(tasks, headers=ann.headers)
    mine = await client.get("/api/v1/rooms", headers=ann.headers)
    assert (listed.json()["items"], len(mine.json()["items"])) == ([], 1)

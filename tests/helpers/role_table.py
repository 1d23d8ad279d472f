"""One route tried by every role of a room, an outsider and an anonymous caller, for the
role-table tests of the services that authorize by room role."""

from collections.abc import Awaitable, Callable

import httpx

from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom

CALLERS = ("viewer", "member", "admin", "owner", "outsider", "anonymous")
READERS = {
    "viewer": 200,
    "member": 200,
    "admin": 200,
    "owner": 200,
    "outsider": 404,
    "anonymous": 401,
}
WRITERS = READERS | {"viewer": 403}

Call = Callable[[str, dict[str, str]], Awaitable[httpx.Response]]


def headers_of(room: RoleRoom, caller: str) -> dict[str, str]:
    return {} if caller == "anonymous" else room.by_role(caller).headers


async def outcomes(room: RoleRoom, call: Call) -> dict[str, int]:
    """Each caller's status code; every refusal must be a problem+json answer."""
    found = {}
    for caller in CALLERS:
        response = await call(caller, headers_of(room, caller))
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
        found[caller] = response.status_code
    return found

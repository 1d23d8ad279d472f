"""JSON responses written straight from plain data with orjson (no pydantic pass)."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson
from fastapi import Response

# UTC times end in "Z", as pydantic writes them, so both paths answer the same JSON.
_OPTIONS = orjson.OPT_UTC_Z


def _other_types(value: Any) -> Any:
    # asyncpg returns its own UUID subclass, which orjson does not take for a UUID.
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_bytes(body: Any) -> bytes:
    return orjson.dumps(body, default=_other_types, option=_OPTIONS)


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`body` as JSON; bytes are taken as JSON already written (by `json_bytes`)."""
    return Response(
        body if isinstance(body, bytes) else json_bytes(body),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )

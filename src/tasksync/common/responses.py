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


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body, default=_other_types, option=_OPTIONS),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )

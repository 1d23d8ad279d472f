"""Keyset pagination: `?limit=&cursor=`, answered with `{items, next_cursor}`.

A cursor is the sort key of the last item of a page, opaque to clients (base64 of JSON).
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel

from tasksync.common.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """One page as the service layer returns it (ORM rows); routes turn it into a `Page`."""

    items: list[T]
    next_cursor: str | None


def keyset_slice(rows: Sequence[T], limit: int, sort_key: Callable[[T], list[Any]]) -> Slice[T]:
    """Cuts `limit + 1` fetched rows to a page whose cursor points after its last row."""
    items = list(rows[:limit])
    cursor = encode_cursor(sort_key(items[-1])) if len(rows) > limit else None
    return Slice(items=items, next_cursor=cursor)


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values, default=str)).decode().rstrip("=")


Paging = Annotated[PageParams, Depends(page_params)]
NOT_OURS = "The cursor is not one this list gave out."


def decode_cursor(cursor: str, *parsers: Callable[[Any], Any]) -> list[Any]:
    """The values of a cursor, each parsed by its parser (`decode_cursor(c, uuid_value)`);
    a cursor that is not one of ours, or of another list, is a 400 problem."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(parsers):
            raise ValueError("wrong shape")
        return [parse(value) for parse, value in zip(parsers, values, strict=True)]
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadRequest(NOT_OURS) from exc


def uuid_value(raw: Any) -> UUID:
    return UUID(str(raw))


def aware_datetime(raw: Any) -> datetime:
    parsed = datetime.fromisoformat(str(raw))
    if parsed.tzinfo is None:
        raise ValueError("a cursor time has a zone")
    return parsed


def same(raw: Any) -> Any:
    return raw

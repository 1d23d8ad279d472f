"""What every service's request models share: strict inputs, text without NUL, and times
that are real instants in a range every database and every language can hold."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_validator,
)

NUL = "\x00"
# A year range that survives any zone offset, PostgreSQL, SQLite and JavaScript's Date.
FIRST_YEAR, LAST_YEAR = 1900, 9999
_BARE_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


def _without_nul(value: Any) -> Any:
    """Refuses U+0000 anywhere inside a value: PostgreSQL cannot store it in text, and SQLite
    would, so both modes refuse it the same way."""
    if isinstance(value, str):
        if NUL in value:
            raise ValueError("must not contain the NUL character (U+0000)")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _without_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    return value


class Input(BaseModel):
    """A request body: unknown fields are refused (422), never silently dropped, and no text
    in it may hold a NUL character."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NotBlank = AfterValidator(_not_blank)
NotBlankStr = Annotated[str, NotBlank]
# For query parameters, which are not `Input` models.
Text = Annotated[str, AfterValidator(_without_nul)]


def _iso_text_only(value: Any) -> Any:
    """pydantic reads a number (or a numeric string) as a Unix time; an API that stores
    `deadline: 0` as 1970 hides a client's bug, so a time must be ISO 8601 text."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _BARE_NUMBER.match(value)
    ):
        raise ValueError(
            "must be an ISO 8601 date-time with a time zone, such as 2026-05-01T09:00Z"
        )
    return value


def _in_utc_range(value: datetime) -> datetime:
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR} in UTC")
    return moment


# An instant sent by a client: ISO 8601 with a zone, kept in UTC, years 1900 to 9999.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text_only), AfterValidator(_in_utc_range)]

"""The one clock of TaskSync: `utcnow()`.

Tests that need time to pass (reminders, digests, retry backoff) move it with `travel` or
pin it with `freeze` instead of sleeping; production never touches either.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta()
_frozen: datetime | None = None


def utcnow() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Moves the clock forward by `delta` (from now on, for the whole process)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


@contextmanager
def travel(delta: timedelta = timedelta()) -> Iterator[None]:
    """Inside the block the clock runs `delta` ahead; `advance` moves it further."""
    global _offset, _frozen
    saved = (_offset, _frozen)
    _offset += delta
    try:
        yield
    finally:
        _offset, _frozen = saved


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    """Inside the block the clock stands at `at` (and moves only with `advance`)."""
    global _frozen, _offset
    saved = (_offset, _frozen)
    _frozen = at
    try:
        yield
    finally:
        _offset, _frozen = saved

"""The one clock of TaskSync: `utcnow()`.

Tests that need time to pass (reminders, digests, retry backoff) move it with `travel` or
pin it with `freeze` instead of sleeping; production never touches either. A service whose
answers depend on "now" (this week, overdue) may hold a `Clock`, which tests stop at a chosen
moment for that service alone.
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


class Clock:
    """The real time, unless set to a fixed moment (then it moves only when told)."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else utcnow()

    def set(self, moment: datetime | None) -> None:
        """Stops the clock at `moment` (aware), or lets it run again with None."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("a clock is set to an aware datetime")
        self._fixed = moment.astimezone(UTC) if moment is not None else None

    def advance(self, delta: timedelta) -> None:
        self._fixed = self.now() + delta

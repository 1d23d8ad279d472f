"""The time: `utcnow()` everywhere, and a `Clock` for a service whose answers depend on
"now" (this week, overdue): tests set it to a chosen moment, production leaves it running."""

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


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

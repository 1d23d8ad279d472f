"""Pure arithmetic of the reports: people's days in a time zone, the status of every task at
each day's end, percentiles and histograms. No I/O."""

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tasksync.contracts.tasks import Status

STATUSES = tuple(status.value for status in Status)
OPEN = (Status.pending.value, Status.in_progress.value)
PERCENTILES = (50, 85, 95)
# Histogram buckets of a duration, in days: [0, 1), [1, 2), [2, 4) ... [30, inf).
BUCKET_EDGES = (0, 1, 2, 4, 7, 14, 30)
# The cumulative flow is kept per quarter hour: every zone in use today starts its days on one.
SLOT_SECONDS = 900


@dataclass(frozen=True)
class Days:
    """Whole days `first`..`last` (both included) as people in `zone` live them."""

    first: date
    last: date
    zone: ZoneInfo

    def __iter__(self) -> "Iterable[date]":
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return day_start(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The instant the last day ends (the next day's local midnight), in UTC."""
        return day_end(self.last, self.zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight at the start of `day`, in UTC (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_end(day: date, zone: ZoneInfo) -> datetime:
    return day_start(day + timedelta(days=1), zone)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def status_at_day_ends(
    before: dict[str, int], moves: Iterable[tuple[str, str | None, datetime]], days: Days
) -> list[dict[str, int]]:
    """For each day, how many tasks were in each status when it ended: `before` counts them
    when the first day began, and each move (status, previous status or None for a task's
    first, time) during the days shifts one task from one status to the other from the end
    of its day on."""
    changes: list[tuple[str, int, datetime]] = []
    for status, previous, at in moves:
        changes.append((status, 1, at))
        if previous is not None:
            changes.append((previous, -1, at))
    return counts_at_day_ends(before, changes, days)


def counts_at_day_ends(
    before: dict[str, int], changes: Iterable[tuple[str, int, datetime]], days: Days
) -> list[dict[str, int]]:
    """For each day, how many tasks were in each status when it ended: `before` counts them
    when the first day began, and each change (status, how many tasks entered it or left it,
    time) counts from the end of its day on."""
    ends = [day_end(day, days.zone) for day in days]
    shifts = [dict.fromkeys(STATUSES, 0) for _ in ends]
    for status, delta, at in changes:
        day = bisect.bisect_right(ends, at)
        if day < len(ends):
            shifts[day][status] = shifts[day].get(status, 0) + delta
    counts, current = [], {status: before.get(status, 0) for status in STATUSES}
    for shift in shifts:
        current = {status: current.get(status, 0) + n for status, n in shift.items()}
        counts.append({status: current[status] for status in STATUSES})
    return counts


def slot_of(moment: datetime) -> int:
    """The quarter hour `moment` falls in, counted from the epoch."""
    return math.floor(moment.timestamp()) // SLOT_SECONDS


def slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * SLOT_SECONDS, UTC)


def begins_slot(moment: datetime) -> bool:
    return moment.timestamp() % SLOT_SECONDS == 0


def on_slots(days: Days) -> bool:
    """Whether every day of `days` begins and ends on a quarter hour in UTC (in every zone
    in use today; not in local mean time before a zone adopted standard time)."""
    return all(
        begins_slot(day_start(day, days.zone)) for day in (*days, days.last + timedelta(days=1))
    )


DUE = "due"
COMPLETED = "completed"


def marks(
    status: str, deadline: datetime | None, completed_at: datetime | None
) -> dict[tuple[str, int], int]:
    """A task's share of the summary's sums by quarter hour: its deadline while it is open
    (`due`), its last completion while it is completed (`completed`)."""
    if status in OPEN and deadline is not None:
        return {(DUE, slot_of(deadline)): 1}
    if status == Status.completed.value and completed_at is not None:
        return {(COMPLETED, slot_of(completed_at)): 1}
    return {}


def flow_changes(moves: Iterable[tuple[str, datetime]]) -> dict[tuple[int, str], int]:
    """A task's share of the cumulative flow, by quarter hour: its moves (status, time), in
    order, as tasks entering (+1) and leaving (-1) each status."""
    found: dict[tuple[int, str], int] = {}
    previous = None
    for status, at in moves:
        slot = slot_of(at)
        found[slot, status] = found.get((slot, status), 0) + 1
        if previous is not None:
            found[slot, previous] = found.get((slot, previous), 0) - 1
        previous = status
    return {key: n for key, n in found.items() if n}


def percentile(sorted_values: Sequence[float], p: int) -> float | None:
    """The nearest-rank percentile: the smallest value with at least p % of them at or
    below it (p50 of [1, 2, 3, 4] is 2)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def histogram(days: Sequence[float]) -> list[tuple[str, int]]:
    """How many durations fall in each bucket (labels like `1-2d`, `30d+`)."""
    labels = [f"{low}-{high}d" for low, high in itertools.pairwise(BUCKET_EDGES)] + [
        f"{BUCKET_EDGES[-1]}d+"
    ]
    counts = [0] * len(labels)
    for value in days:
        bucket = sum(1 for edge in BUCKET_EDGES[1:] if value >= edge)
        counts[bucket] += 1
    return list(zip(labels, counts, strict=True))


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600

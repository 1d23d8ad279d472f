"""Typed dependencies of the reports routes: the time zone, the day range, the format, the
clock and the runtime.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from datetime import date, timedelta
from functools import cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import Depends, Query, Request

from tasksync.common.errors import InvalidField
from tasksync.reports.figures import Days, local_day
from tasksync.reports.runtime import ReportsRuntime
from tasksync.reports.settings import ReportsSettings

DEFAULT_DAYS = 30
# Days a report may cover: beyond them a day's end in UTC may not be a datetime at all.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


async def _runtime(request: Request) -> ReportsRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, ReportsRuntime)
    return runtime


Runtime = Annotated[ReportsRuntime, Depends(_runtime)]


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone `name`; a 422 for a name that is not one."""
    if name in _zone_names():
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise InvalidField(f"Invalid fields: tz ({name!r} is not an IANA time zone, e.g. Europe/Kyiv).")


async def _zone(
    tz: Annotated[
        str, Query(max_length=64, description="IANA time zone whose days the report counts")
    ] = "UTC",
) -> ZoneInfo:
    return zone_named(tz)


Zone = Annotated[ZoneInfo, Depends(_zone)]


def days_between(
    first: date | None, last: date | None, *, zone: ZoneInfo, today: date, max_days: int
) -> Days:
    """`first`..`last` (defaults: the 30 days up to today), within the cap."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidField("Invalid fields: from (after `to`).")
    if first < EARLIEST or last > LATEST:
        raise InvalidField(f"Invalid fields: from, to (days between {EARLIEST} and {LATEST}).")
    if (last - first).days + 1 > max_days:
        raise InvalidField(f"Invalid fields: from, to (a range covers at most {max_days} days).")
    return Days(first, last, zone)


async def _days(
    zone: Zone,
    runtime: Runtime,
    first: Annotated[
        date | None, Query(alias="from", description="first day (default: 29 days before `to`)")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="last day (default: today)")] = None,
) -> Days:
    settings = runtime.settings
    today = local_day(runtime.clock.now(), zone)
    return days_between(first, last, zone=zone, today=today, max_days=settings.reports_max_days)


DayRange = Annotated[Days, Depends(_days)]

Format = Literal["json", "csv"]
OutputFormat = Annotated[Format, Query(alias="format", description="`json` or `csv`")]


async def _settings(runtime: Runtime) -> ReportsSettings:
    return runtime.settings


Settings = Annotated[ReportsSettings, Depends(_settings)]

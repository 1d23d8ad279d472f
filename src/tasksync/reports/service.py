"""The reports, computed from the read model: a room's summary, flow, burndown, throughput,
cycle and lead times and workload, and a person's dashboard across their rooms.

Functions take the session first and keyword-only arguments, and return plain data (the
schemas shape it). "Now" comes from the service's clock; days are the days of `zone`.

A task reopened and completed again counts once, at its last completion; a task that is not
completed now counts as completed nowhere.
"""

import itertools
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.contracts.tasks import Priority
from tasksync.reports import queries
from tasksync.reports.figures import (
    OPEN,
    PERCENTILES,
    STATUSES,
    Days,
    begins_slot,
    counts_at_day_ends,
    day_start,
    histogram,
    hours,
    local_day,
    on_slots,
    percentile,
    slot_of,
    slot_start,
    status_at_day_ends,
    week_start,
)
from tasksync.reports.models import ReportTask as T


def _this_week(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    monday = week_start(local_day(now, zone))
    return day_start(monday, zone), day_start(monday + timedelta(days=7), zone)


async def summary(
    session: AsyncSession, *, room_id: UUID, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    week, next_week = _this_week(now, zone)
    last_week = day_start(local_day(week, zone) - timedelta(days=7), zone)
    by_status: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    by_assignee: dict[UUID | None, int] = {}
    for status, priority, assignee, n in await queries.counts(session, room_id):
        by_status[status] = by_status.get(status, 0) + n
        by_priority[priority] = by_priority.get(priority, 0) + n
        by_assignee[assignee] = by_assignee.get(assignee, 0) + n
    return {
        "as_of": now,
        "week_start": local_day(week, zone),
        "by_status": {status: by_status.get(status, 0) for status in STATUSES},
        "by_priority": {p.value: by_priority.get(p.value, 0) for p in Priority},
        "by_assignee": [
            {"assignee_id": assignee, "tasks": n}
            for assignee, n in sorted(
                by_assignee.items(), key=lambda item: (-item[1], str(item[0]))
            )
            if n
        ],
        "total": sum(by_status.values()),
        "open": sum(by_status.get(status, 0) for status in OPEN),
        **await _counts_by_time(session, room_id, now, (last_week, week, next_week)),
    }


async def _counts_by_time(
    session: AsyncSession, room_id: UUID, now: datetime, weeks: tuple[datetime, datetime, datetime]
) -> dict[str, int]:
    """Overdue and due this week, completed this week and last week: from the sums per
    quarter hour, with the tasks due earlier in the current quarter hour read from the index;
    or, for weeks that do not begin on a quarter hour, from the index alone."""
    last_week, week, next_week = weeks
    rooms = [room_id]
    count = queries.count_where
    if all(begins_slot(moment) for moment in weeks):
        current = slot_of(now)
        found = await queries.summary_sums(
            session,
            room_id,
            now=current,
            last_week=slot_of(last_week),
            week=slot_of(week),
            next_week=slot_of(next_week),
        )
        found["overdue"] += await count(
            session, rooms, queries.due_between(slot_start(current), now)
        )
        return found
    return {
        "overdue": await count(session, rooms, queries.overdue(now)),
        "due_this_week": await count(session, rooms, queries.due_between(week, next_week)),
        "completed_this_week": await count(
            session, rooms, queries.completed_between(week, next_week)
        ),
        "completed_last_week": await count(
            session, rooms, queries.completed_between(last_week, week)
        ),
    }


async def _flow(
    session: AsyncSession, room_id: UUID, days: Days
) -> tuple[dict[str, int], list[dict[str, int]]]:
    """How many tasks were in each status when the first day began, and at each day's end:
    from the flow sums per quarter hour, or (for days that do not begin on one) from the
    transitions."""
    if on_slots(days):
        starts = [day_start(day, days.zone) for day in days]
        bounds = [slot_of(start) for start in [*starts, days.end]]
        before = await queries.flow_before(session, room_id, bounds[0])
        found = await queries.flow_by_day(session, room_id, bounds)
        changes = [(status, delta, starts[day]) for day, status, delta in found]
        return before, counts_at_day_ends(before, changes, days)
    before = await queries.statuses_at(session, room_id, days.start)
    moves = await queries.moves_between(session, room_id, days.start, days.end)
    return before, status_at_day_ends(before, moves, days)


async def cumulative_flow(
    session: AsyncSession, *, room_id: UUID, days: Days
) -> list[dict[str, Any]]:
    """Per day, how many tasks were in each status at its end."""
    _, counts = await _flow(session, room_id, days)
    return [{"date": day, **found} for day, found in zip(days, counts, strict=True)]


async def burndown(session: AsyncSession, *, room_id: UUID, days: Days) -> list[dict[str, Any]]:
    """Open tasks at each day's end, the tasks added each day, and the ideal line: from the
    first day's open tasks down to none at the last day's end, planned again from each day
    that adds tasks (their share goes down from that day on; the line never moves back)."""
    before, counts = await _flow(session, room_id, days)
    opened = [day["pending"] + day["in_progress"] for day in counts]
    # Every task in the reports is counted from its creation on: what a day adds to the
    # total is what it created.
    totals = [sum(before.values())] + [sum(day.values()) for day in counts]
    added = [later - earlier for earlier, later in itertools.pairwise(totals)]
    steps = len(opened) - 1
    ideal = [float(opened[0]) if steps else 0.0]
    for index in range(1, len(opened)):
        left = steps - index
        ideal.append((ideal[-1] + added[index]) * left / (left + 1))
    return [
        {"date": day, "open": count, "added": new, "ideal": round(line, 2)}
        for day, count, new, line in zip(days, opened, added, ideal, strict=True)
    ]


async def throughput(
    session: AsyncSession, *, room_id: UUID, weeks: int, now: datetime, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Tasks completed per week (Monday to Sunday), the last `weeks` weeks up to this one."""
    this_monday = week_start(local_day(now, zone))
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    found = await queries.completions(
        session, [room_id], day_start(mondays[0], zone), day_start(this_monday + timedelta(7), zone)
    )
    per_week = dict.fromkeys(mondays, 0)
    for row in found:
        per_week[week_start(local_day(row.completed_at, zone))] += 1
    return [{"week_start": monday, "completed": n} for monday, n in per_week.items()]


def _durations(rows: list[Any], kind: str) -> list[float]:
    """Hours from creation (lead) or first start (cycle) to the last completion; a task
    never started has no cycle time."""
    found = []
    for row in rows:
        begin = row.created_at if kind == "lead" else row.started_at
        if begin is not None and begin <= row.completed_at:
            found.append(hours(row.completed_at - begin))
    return sorted(found)


async def flow_time(
    session: AsyncSession, *, room_id: UUID, days: Days, kind: str
) -> dict[str, Any]:
    """Lead time (created -> completed) or cycle time (first in progress -> completed) of
    the tasks completed in `days`: percentiles in hours and a histogram in days."""
    rows = await queries.completions(session, [room_id], days.start, days.end)
    values = _durations(rows, kind)
    answer: dict[str, Any] = {"tasks": len(values)}
    for p in PERCENTILES:
        value = percentile(values, p)
        answer[f"p{p}_hours"] = round(value, 2) if value is not None else None
    answer["histogram"] = [
        {"bucket": label, "tasks": n} for label, n in histogram([v / 24 for v in values])
    ]
    return answer


async def workload(session: AsyncSession, *, room_id: UUID, now: datetime) -> list[dict[str, Any]]:
    """Open and overdue tasks per assignee (None: nobody), most loaded first."""
    rows = await queries.workload(session, room_id, now)
    ordered = sorted(rows, key=lambda row: (-row.open, str(row.assignee_id)))
    return [{"assignee_id": r.assignee_id, "open": r.open, "overdue": r.overdue} for r in ordered]


async def dashboard(
    session: AsyncSession, *, user_id: UUID, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The caller's rooms: each room's open and overdue tasks, and theirs among them; and
    their own figures across every room."""
    rooms = sorted(await queries.rooms_of(session, user_id), key=str)
    week, next_week = _this_week(now, zone)
    last_week = day_start(local_day(week, zone) - timedelta(days=7), zone)
    mine = T.assignee_id == user_id
    count = queries.count_where
    per_room = []
    for room_id in rooms:
        per_room.append(
            {
                "room_id": room_id,
                "open": await count(session, [room_id], queries.is_open()),
                "overdue": await count(session, [room_id], queries.overdue(now)),
                "mine_open": await count(session, [room_id], mine, queries.is_open()),
                "mine_overdue": await count(session, [room_id], mine, queries.overdue(now)),
            }
        )
    return {
        "as_of": now,
        "week_start": local_day(week, zone),
        "mine": {
            "open": await count(session, rooms, mine, queries.is_open()),
            "overdue": await count(session, rooms, mine, queries.overdue(now)),
            "due_this_week": await count(
                session, rooms, mine, queries.due_between(week, next_week)
            ),
            "completed_this_week": await count(
                session, rooms, mine, queries.completed_between(week, next_week)
            ),
            "completed_last_week": await count(
                session, rooms, mine, queries.completed_between(last_week, week)
            ),
        },
        "rooms": per_room,
    }

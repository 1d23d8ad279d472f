"""The kinds of notification, and what each person receives of each: the defaults, and the
choices they changed (stored as differences, so a new default reaches everyone who kept it)."""

from dataclasses import dataclass
from typing import Any, Literal

KINDS = (
    "assigned",
    "mentioned",
    "commented",
    "status_changed",
    "deadline_soon",
    "deadline_passed",
    "added_to_room",
    "role_changed",
    "removed_from_room",
    "ownership_received",
    "webhook_disabled",
)
# By default every kind is in the inbox; these are also e-mailed.
EMAILED = frozenset(
    {"assigned", "mentioned", "deadline_soon", "deadline_passed", "webhook_disabled"}
)
Delivery = Literal["immediate", "hourly", "daily", "off"]
DELIVERIES: tuple[Delivery, ...] = ("immediate", "hourly", "daily", "off")


@dataclass(frozen=True)
class Choice:
    in_app: bool
    email: bool


def default(kind: str) -> Choice:
    return Choice(in_app=True, email=kind in EMAILED)


def choice(kinds: dict[str, Any] | None, kind: str) -> Choice:
    """What someone chose for a kind (`kinds` as stored), over the defaults."""
    base = default(kind)
    mine = (kinds or {}).get(kind, {})
    return Choice(in_app=mine.get("in_app", base.in_app), email=mine.get("email", base.email))


def merged(kinds: dict[str, Any] | None, changes: dict[str, dict[str, bool]]) -> dict[str, Any]:
    """The stored differences after `changes`, without the values that equal the defaults."""
    result: dict[str, Any] = {}
    for kind in KINDS:
        now = choice(kinds, kind)
        wanted = {"in_app": now.in_app, "email": now.email} | changes.get(kind, {})
        base = default(kind)
        diff = {
            name: value
            for name, value in wanted.items()
            if value != {"in_app": base.in_app, "email": base.email}[name]
        }
        if diff:
            result[kind] = diff
    return result

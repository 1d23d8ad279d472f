"""Deadlines as people write them: `tomorrow`, `fri 17:00`, `in 3 days`, or ISO dates.
A time without a zone is the local one."""

from datetime import datetime

import typer


def deadline(text: str) -> str:
    """The ISO 8601 instant (with its zone) that `text` means."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _natural(text)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


def _natural(text: str) -> datetime:
    import dateparser  # imported here: it costs a command a third of a second to load

    moment = dateparser.parse(
        text,
        settings={"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": True},
    )
    if moment is None:
        raise typer.BadParameter(
            f"cannot read {text!r} as a time; try 'tomorrow 17:00', 'fri', 'in 3 days' "
            "or 2026-05-01T09:00",
            param_hint="--due",
        )
    return moment

"""`tasksync events ...`: look at the event backbone and mend it."""

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from tasksync import stack
from tasksync.common.db import Database
from tasksync.common.events import operations
from tasksync.common.events.catalog import CATALOG
from tasksync.common.events.tables import EventTables
from tasksync.common.redis_client import open_redis

app = typer.Typer(no_args_is_help=True, help="The event backbone: backlog, lag, dead letters.")
console = Console()
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="TASKSYNC_DATA_DIR", help="Where SQLite files live."),
]


def _overrides(data_dir: Path | None) -> dict[str, Any]:
    return {"data_dir": data_dir} if data_dir else {}


def _service_db(name: str, data_dir: Path | None) -> AbstractAsyncContextManager[Database]:
    return stack.migrated_database(name, **_overrides(data_dir))


def _event_tables(name: str) -> EventTables:
    tables = stack.definition(name).event_tables
    assert tables is not None, f"{name} has no event tables"
    return tables


async def _status(data_dir: Path | None) -> tuple[Table, Table | None]:
    services = Table("service", "outbox backlog", "dead letters", title="Services")
    for name in stack.SERVICES:
        async with _service_db(name, data_dir) as db:
            tables = _event_tables(name)
            backlog = await operations.outbox_backlog(db, tables)
            dead = len(await operations.dead_letters(db, tables))
        services.add_row(name, str(backlog), str(dead))
    settings = stack.settings_for("users", **_overrides(data_dir))
    redis = open_redis(settings)
    if redis is None:
        return services, None
    groups = Table("stream", "length", "group", "lag", "pending", title="Redis streams")
    try:
        for name in stack.SERVICES:
            for row in await operations.stream_groups(redis, settings.redis_prefix, name):
                groups.add_row(
                    *(str(row[k]) for k in ("stream", "length", "group", "lag", "pending"))
                )
    finally:
        await redis.aclose()
    return services, groups


@app.command()
def status(data_dir: DataDir = None) -> None:
    """Outbox backlog and dead letters per service; lag and pending per consumer group."""
    for table in asyncio.run(_status(data_dir)):
        if table is not None:
            console.print(table)


async def _dead_letters(data_dir: Path | None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name in stack.SERVICES:
        async with _service_db(name, data_dir) as db:
            found += [(name, row) for row in await operations.dead_letters(db, _event_tables(name))]
    return found


@app.command("dead-letters")
def list_dead_letters(data_dir: DataDir = None) -> None:
    """Events a service gave up on, with the error and the number of attempts."""
    rows = asyncio.run(_dead_letters(data_dir))
    if not rows:
        console.print("No dead letters.")
        return
    table = Table("service", "event id", "type", "attempts", "failed at", "replay asked", "error")
    for service, row in rows:
        table.add_row(
            service,
            str(row["event_id"]),
            row["type"],
            str(row["attempts"]),
            row["failed_at"].isoformat(timespec="seconds"),
            "yes" if row["replay_requested_at"] else "",
            row["error"][:80],
        )
    console.print(table)


async def _replay(event_id: UUID | None, data_dir: Path | None) -> int:
    marked = 0
    for name in stack.SERVICES:
        async with _service_db(name, data_dir) as db:
            marked += await operations.request_replay(db, _event_tables(name), event_id)
    return marked


@app.command()
def replay(
    event_id: Annotated[str | None, typer.Argument(help="The dead letter's event id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Ask the running services to apply dead letters again (once the cause is fixed)."""
    if (event_id is None) == (not all_):
        console.print("[red]error:[/] give one event id, or --all.")
        raise typer.Exit(2)
    try:
        target = UUID(event_id) if event_id else None
    except ValueError:
        console.print(f"[red]error:[/] {event_id!r} is not an event id (a UUID).")
        raise typer.Exit(2) from None
    marked = asyncio.run(_replay(target, data_dir))
    if not marked:
        console.print(
            "[red]error:[/] no such dead letter; `tasksync events dead-letters` lists them."
        )
        raise typer.Exit(1)
    console.print(
        f"Marked {marked} dead letter(s); the owning service applies them within seconds."
    )


SECRETS_IN_EVENTS = """## Secrets in events

{types} carry a single-use token from `users` to `notifications`, which mails it. The
token is protected this way:

- **Short-lived and single use.** A verification token expires after 24 hours, a password
  reset token after 30 minutes (`TASKSYNC_EMAIL_VERIFICATION_HOURS`,
  `TASKSYNC_PASSWORD_RESET_MINUTES`); redeeming it marks it used in the same transaction,
  and a newer address or a completed reset voids the others.
- **Hashed at rest in `users`.** Only its SHA-256 is stored (`email_tokens`); expired rows
  are deleted by housekeeping.
- **Never logged, never in the audit, never pushed.** No service logs event payloads; the
  activity service records only that the message was sent (its renderer reads no field
  but `user_id`); realtime pushes no `user.*` event to browsers.
- **Where copies live, and for how long.** The envelope stays in `users`' outbox and on the
  bus (Redis stream `users`) until event retention prunes it (`TASKSYNC_EVENT_RETENTION_DAYS`),
  long after the token expired; an event that fails for good keeps its envelope as a dead
  letter of the consumer that failed (`tasksync events dead-letters`). `notifications`
  does not mail a token that already expired (a redelivery after an outage sends no dead
  link), and blanks the bodies of the mail row once it is sent or abandoned. In the
  message, the token rides in the link's fragment (`#token=`), which browsers never send
  to a server, so no access log holds it.
- Treat the event bus and the `users` and `notifications` databases as secret-bearing:
  their backups and their access are the operator's to protect."""


def render_catalog() -> str:
    consumers: dict[str, list[str]] = {}
    for name in stack.SERVICES:
        handlers = stack.definition(name).consumed
        for event_type in handlers.types if handlers else ():
            consumers.setdefault(event_type, []).append(name)
    lines = [
        "# Event catalog",
        "",
        "Generated by `tasksync events catalog` from the registered event models; do not edit.",
        "Every event travels in the envelope `{id, type, version, occurred_at, producer,",
        "actor_id, room_id, data}`; the fields below are those of `data`. How to add an event",
        "type and a handler: `CONTRIBUTING.md`; how to operate the backbone: `docs/operations.md`.",
        "",
        "| type | version | producer | consumers | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in sorted(CATALOG.values(), key=lambda s: s.type):
        who = ", ".join(sorted(consumers.get(spec.type, []))) or "none yet"
        lines.append(
            f"| `{spec.type}` | {spec.version} | {spec.producer} | {who} | {spec.description} |"
        )
    secret = sorted(s.type for s in CATALOG.values() if "token" in s.model.model_fields)
    lines += ["", *SECRETS_IN_EVENTS.format(types=", ".join(f"`{t}`" for t in secret)).split("\n")]
    for spec in sorted(CATALOG.values(), key=lambda s: s.type):
        lines += [
            "",
            f"## `{spec.type}`",
            "",
            spec.description,
            "",
            "| field | type | required |",
            "| --- | --- | --- |",
        ]
        schema = spec.model.model_json_schema()
        required = set(schema.get("required", []))
        for field, info in schema["properties"].items():
            lines.append(
                f"| `{field}` | {_type_of(info)} | {'yes' if field in required else 'no'} |"
            )
    return "\n".join(lines) + "\n"


def _type_of(info: dict[str, Any]) -> str:
    if "anyOf" in info:
        return " or ".join(_type_of(option) for option in info["anyOf"])
    kind = info.get("type", "object")
    if kind == "array":
        return f"list of {_type_of(info.get('items', {}))}"
    if info.get("format") == "uuid":
        return "uuid"
    if info.get("format") == "date-time":
        return "datetime"
    return str(kind)


@app.command()
def catalog(
    output: Annotated[Path, typer.Option(help="Where to write the catalog.")] = Path(
        "docs/events.md"
    ),
) -> None:
    """Regenerate the event catalog (docs/events.md) from the registered event models."""
    output.write_text(render_catalog())
    console.print(f"Wrote {output}")

"""The `tasksync` command: run the servers and operate them."""

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tasksync import stack
from tasksync.cli.client.app import app as client_app
from tasksync.cli.deploy import app as deploy_app
from tasksync.cli.events import app as events_app
from tasksync.cli.server import serve_app
from tasksync.common.errors import DomainError

app = typer.Typer(no_args_is_help=True, help="TaskSync: a self-hostable task manager.")
users_app = typer.Typer(no_args_is_help=True, help="Accounts and signing keys.")
app.add_typer(users_app, name="users")
activity_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
app.add_typer(activity_app, name="activity")
reports_app = typer.Typer(no_args_is_help=True, help="Reports and their read model.")
app.add_typer(reports_app, name="reports")
notifications_app = typer.Typer(no_args_is_help=True, help="In-app notifications and e-mail.")
app.add_typer(notifications_app, name="notifications")
app.add_typer(events_app, name="events")
app.add_typer(deploy_app, name="deploy")
app.add_typer(client_app)
console = Console(stderr=True)

Host = Annotated[str, typer.Option(envvar="TASKSYNC_HOST", help="Address to listen on.")]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="TASKSYNC_DATA_DIR", help="Where SQLite files live."),
]


def _overrides(data_dir: Path | None) -> dict[str, Any]:
    return {"data_dir": data_dir} if data_dir else {}


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}")
    return typer.Exit(1)


@app.command()
def up(
    port: Annotated[int, typer.Option(envvar="TASKSYNC_PORT", help="Port of the API.")] = 8000,
    host: Host = "127.0.0.1",
    data_dir: DataDir = None,
    distributed: Annotated[
        bool, typer.Option("--distributed", help="A process per service on PostgreSQL and Redis.")
    ] = False,
    replicas: Annotated[
        str | None, typer.Option(help="With --distributed: processes per service, e.g. tasks=2.")
    ] = None,
    postgres_url: Annotated[
        str, typer.Option(envvar="TASKSYNC_POSTGRES_URL", help="With --distributed.")
    ] = "postgresql://postgres@127.0.0.1:5432/postgres",
    redis_url: Annotated[
        str, typer.Option(envvar="TASKSYNC_REDIS_URL", help="With --distributed.")
    ] = "redis://127.0.0.1:6379/0",
) -> None:
    """Run TaskSync: every service in one process (SQLite, no external dependency), or with
    --distributed a process per service on PostgreSQL and Redis."""
    if distributed:
        from tasksync.cli import supervisor

        try:
            counts = supervisor.parse_replicas(replicas)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        code = asyncio.run(
            supervisor.up_distributed(
                postgres_url=postgres_url, redis_url=redis_url, gateway_port=port, replicas=counts
            )
        )
        raise typer.Exit(code)
    overrides = _overrides(data_dir) | {"mode": "embedded"}
    where = (data_dir or stack.settings_for("users").data_dir).resolve()
    base = f"http://{host}:{port}"
    ready = (
        f"TaskSync is running at {base}\n"
        f"  web app    {base}/  (open it in a browser)\n"
        f"  API docs   {base}/api/docs\n"
        f"  API        {base}/api/v1\n"
        f"  health     {base}/health\n"
        f"  data       {where}\n"
        "Press Ctrl+C to stop."
    )
    application = stack.build_embedded(**overrides)
    serve_app(
        application,
        host=host,
        port=port,
        ready_message=ready,
        settings=application.state.settings,
    )


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="gateway, or a service: users, ...")],
    port: Annotated[int | None, typer.Option(envvar="TASKSYNC_PORT")] = None,
    host: Host = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Run one service on its own (the building block of the distributed mode)."""
    from tasksync.cli.serve import serve as serve_service
    from tasksync.common import registry

    try:
        registry.spec(service)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    serve_service(service, port=port, host=host, data_dir=data_dir)


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="A service name, or 'all'.")] = "all",
    data_dir: DataDir = None,
) -> None:
    """Bring a service's database (or every one) up to the latest schema."""
    names = list(stack.SERVICES) if service == "all" else [service]
    if any(name not in stack.SERVICES for name in names):
        raise _fail(
            f"Unknown service {service!r}; choose one of: all, {', '.join(stack.SERVICES)}."
        )

    async def run() -> None:
        for name in names:
            async with stack.migrated_database(name, **_overrides(data_dir)):
                console.print(f"[green]migrated[/] {name}")

    asyncio.run(run())


@app.command()
def revision(
    service: Annotated[str, typer.Argument(help="The service whose models changed.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the change is.")],
    kit_tables: Annotated[
        bool, typer.Option("--kit-tables", help="A new service's first revision: kit tables.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Write a new migration from the difference between a service's models and its database.
    A new service's first revision, with --kit-tables, creates the kit's tables it declares
    (event tables, replicas, idempotency keys) by calling their frozen migration steps."""
    from tasksync.common import migrations

    try:
        found = stack.definition(service)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if kit_tables:
        path = migrations.write_kit_tables_revision(found.package, found.metadata, message)
        console.print(f"[green]wrote[/] {path}")
        return

    async def run() -> None:
        async with stack.migrated_database(service, **_overrides(data_dir)) as db:
            await migrations.revision(db, found.package, found.metadata, message)

    asyncio.run(run())


@app.command("seed")
def seed_data(
    users: Annotated[int, typer.Option(min=1, help="Accounts to create.")] = 20,
    rooms: Annotated[
        int, typer.Option(min=1, help="Rooms (8 members each, from the accounts).")
    ] = 5,
    tasks: Annotated[int, typer.Option(min=0, help="Tasks, spread evenly over the rooms.")] = 500,
    comments: Annotated[
        int, typer.Option(min=0, help="Comments, on tasks picked at random.")
    ] = 200,
    data_dir: DataDir = None,
) -> None:
    """Fill the databases with realistic data, fast (for trying TaskSync and benchmarks)."""
    import time

    from rich.progress import Progress

    from tasksync.cli import seed as seeding

    overrides = _overrides(data_dir)
    total = users * 3 + rooms + min(users, 8) * rooms * 3 + tasks * 2 + rooms + comments
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("Seeding", total=total)

        def advance(table: str, rows: int) -> None:
            progress.update(bar, advance=rows, description=f"Seeding {table}")

        done = asyncio.run(
            seeding.seed(
                overrides,
                users=users,
                rooms=rooms,
                tasks=tasks,
                comments=comments,
                progress=advance,
            )
        )
    console.print(
        f"[green]Seeded[/] {len(done.usernames)} accounts, {len(done.room_ids)} rooms and "
        f"{done.tasks} tasks (with {done.comments} comments) "
        f"in {time.perf_counter() - started:.1f}s."
    )
    console.print(f"Sign in as {done.usernames[0]} (password {seeding.PASSWORD!r}).")


@users_app.command()
def promote(
    username: Annotated[str, typer.Argument(help="Who becomes a system administrator.")],
    data_dir: DataDir = None,
) -> None:
    """Make a user a system administrator (how the first admin is made)."""
    from tasksync.users import commands

    try:
        asyncio.run(commands.promote(stack.settings_for("users", **_overrides(data_dir)), username))
    except DomainError as exc:
        raise _fail(exc.detail) from exc
    console.print(f"[green]{username} is now a system administrator.[/]")


@users_app.command("rotate-key")
def rotate_key(data_dir: DataDir = None) -> None:
    """Start signing access tokens with a new key; tokens signed before stay valid until
    they expire."""
    from tasksync.users import commands

    kid = asyncio.run(commands.rotate_key(stack.settings_for("users", **_overrides(data_dir))))
    console.print(f"[green]New signing key[/] {kid}")


@activity_app.command("verify")
def verify_activity(data_dir: DataDir = None) -> None:
    """Walk the audit's hash chain; exits 1 when an entry was changed, removed or moved."""
    import orjson

    from tasksync.activity import commands

    settings = stack.settings_for("activity", **_overrides(data_dir))
    verdict = asyncio.run(commands.verify(settings))
    answer = {"ok": verdict.ok, "entries": verdict.entries}
    if not verdict.ok:
        answer |= {"first_bad": verdict.first_bad, "first_bad_seq": verdict.first_bad_seq}
    typer.echo(orjson.dumps(answer, default=str).decode())
    if not verdict.ok:
        raise typer.Exit(1)


@reports_app.command("rebuild")
def rebuild_reports(data_dir: DataDir = None) -> None:
    """Rebuild the reports' read model from the tasks service. Distributed: at once, from the
    running tasks service. Embedded: the model is emptied and rebuilt when TaskSync next
    starts."""
    from tasksync.reports import commands

    overrides = _overrides(data_dir)
    settings = stack.settings_for("reports", **overrides)

    async def run() -> int | None:
        async with stack.migrated_database("reports", **overrides) as db:
            if settings.postgres_url:
                return await commands.rebuild_from_tasks(db, settings)
            await commands.empty(db)
            return None

    count = asyncio.run(run())
    if count is None:
        console.print("[green]Emptied[/] the reports model: it is rebuilt when TaskSync starts.")
    else:
        console.print(f"[green]Rebuilt[/] the reports model from {count} tasks.")


@notifications_app.command("status")
def notifications_status(data_dir: DataDir = None) -> None:
    """Where mail goes, the mail queue (pending, sent, failed), retries, the latest errors
    and the reminders armed; exits 1 when a message failed for good."""
    import orjson

    from tasksync.notifications import commands

    settings = stack.settings_for("notifications", **_overrides(data_dir))
    found = asyncio.run(commands.status(settings))
    typer.echo(orjson.dumps(found, default=str, option=orjson.OPT_INDENT_2).decode())
    if found.mails["failed"]:
        raise typer.Exit(1)

"""`tasksync watch ROOM`: a room's events as they happen, with your stored sign-in."""

import asyncio
from typing import Annotated

import typer

from tasksync.cli.client import refs
from tasksync.cli.client.options import ProfileName
from tasksync.cli.client.output import API_ERROR, err, reports_errors
from tasksync.cli.client.session import Session

app = typer.Typer()


@app.command()
@reports_errors
def watch(
    room: Annotated[str, typer.Argument(help="An id, a unique start of one, or the exact name.")],
    profile: ProfileName = None,
) -> None:
    """Print a room's events live, one line each, until Ctrl+C; reconnects by itself.

    Example: tasksync watch Launch
    """
    from tasksync.cli.watch import Stopped, Watcher  # websockets: loaded only to watch

    with Session(profile=profile) as session:
        found = refs.room(session, room)
        watcher = Watcher(
            session.url,
            found["id"],
            sign_in=session.fresh_tokens,
            out=lambda line: typer.echo(line),
        )
        try:
            asyncio.run(watcher.run())
        except KeyboardInterrupt:
            return
        except Stopped as stopped:
            err.print(f"[red]error:[/] {stopped}", highlight=False)
            raise typer.Exit(API_ERROR) from stopped

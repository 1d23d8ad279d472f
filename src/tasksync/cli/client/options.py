"""Options several client commands share, declared once."""

from typing import Annotated

import typer
from typer.core import TyperGroup

Url = Annotated[
    str | None,
    typer.Option("--url", help="The server, e.g. http://127.0.0.1:8000 (else TASKSYNC_URL)."),
]
ProfileName = Annotated[
    str | None,
    typer.Option("--profile", help="Which saved sign-in to use (else TASKSYNC_PROFILE)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document, for scripts.")]
Columns = Annotated[
    str | None, typer.Option("--columns", help="Comma-separated columns to show, in order.")
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


class ListByDefault(TyperGroup):
    """A group whose `list` command runs when no other command is named, so `tasksync rooms`
    lists rooms and `tasksync tasks Team --status pending` lists Team's pending tasks."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)

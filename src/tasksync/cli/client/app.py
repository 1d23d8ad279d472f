"""Every client command, on one Typer app that `cli/main.py` merges into `tasksync`."""

import typer

from tasksync.cli.client import api, auth, comments, files, inbox, live, rooms, tasks

app = typer.Typer(no_args_is_help=True, help="TaskSync from a terminal.")
app.add_typer(auth.app)
app.add_typer(api.app)
app.add_typer(rooms.app, name="rooms")
app.add_typer(tasks.app, name="tasks")
app.add_typer(comments.app)
app.add_typer(files.app)
app.add_typer(live.app)
app.add_typer(inbox.app, name="inbox")

# The first words that name a client command: `cli/entry.py` runs those without loading the
# servers' code, so that a client command starts in a fraction of a second.
COMMANDS = frozenset(
    {
        *("login", "logout", "register", "whoami", "api", "rooms", "tasks"),
        *("comment", "comments", "attach", "download", "files", "watch", "inbox"),
    }
)

"""The `tasksync` console script. Client commands (`tasksync rooms`, `tasksync login`, ...)
load only the client; everything else loads the server commands, which import every
service (about three seconds)."""

import sys


def main() -> None:
    from tasksync.cli.client.app import COMMANDS

    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        from tasksync.cli.client.app import app
    else:
        from tasksync.cli.main import app
    app(prog_name="tasksync")

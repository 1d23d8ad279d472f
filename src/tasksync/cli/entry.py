"""The `tasksync` console script. Client commands (`tasksync rooms`, `tasksync login`, ...)
load only the client; a plain `tasksync serve NAME` loads only that service (cli/serve.py);
everything else loads the server commands, which import every service (about three
seconds)."""

import sys


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        from tasksync.cli.serve import run

        if run(sys.argv[2:]):
            return
    from tasksync.cli.client.app import COMMANDS

    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        from tasksync.cli.client.app import app
    else:
        from tasksync.cli.main import app
    app(prog_name="tasksync")

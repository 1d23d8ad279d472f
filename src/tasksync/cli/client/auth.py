"""Signing in and out: `tasksync login`, `register`, `logout`, `whoami`."""

import sys
from typing import Annotated

import typer

from tasksync.cli.client.options import Json, ProfileName, Url
from tasksync.cli.client.output import err, print_json, reports_errors
from tasksync.cli.client.session import API, Session

app = typer.Typer()

Username = Annotated[str | None, typer.Option("--username", "-u", help="Asked for if not given.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (scripts)."),
]


def _password(from_stdin: bool, *, confirm: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@app.command()
@reports_errors
def login(
    url: Url = None,
    profile: ProfileName = None,
    username: Username = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Sign in and remember it (the refresh token is kept in your config folder, mode 0600).

    Example: tasksync login --url http://127.0.0.1:8000 --username ann
    """
    with Session(profile=profile, url=url) as session:
        name = username or typer.prompt("Username")
        session.sign_in(name, _password(password_stdin))
    err.print(f"Signed in to {session.url} as {name} (profile {session.name}).", highlight=False)


@app.command()
@reports_errors
def register(
    url: Url = None,
    profile: ProfileName = None,
    username: Username = None,
    email: Annotated[str | None, typer.Option(help="For notifications.")] = None,
    full_name: Annotated[str | None, typer.Option(help="How others see you.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account on a server and sign in to it.

    Example: tasksync register --url http://127.0.0.1:8000 --username ann
    """
    with Session(profile=profile, url=url) as session:
        name = username or typer.prompt("Username")
        password = _password(password_stdin, confirm=not password_stdin)
        body = {"username": name, "password": password}
        body |= {k: v for k, v in (("email", email), ("full_name", full_name)) if v}
        session.call("POST", f"{API}/auth/register", auth=False, json=body)
        session.sign_in(name, password)
    err.print(f"Registered and signed in to {session.url} as {name}.", highlight=False)


@app.command()
@reports_errors
def logout(profile: ProfileName = None) -> None:
    """Sign out: the server forgets this sign-in and so does this computer.

    Example: tasksync logout
    """
    with Session(profile=profile) as session:
        session.sign_out()
    err.print(f"Signed out of {session.url}.", highlight=False)


@app.command()
@reports_errors
def whoami(profile: ProfileName = None, as_json: Json = False) -> None:
    """Who you are signed in as, and where.

    Example: tasksync whoami --json
    """
    with Session(profile=profile) as session:
        me = session.call("GET", f"{API}/users/me")
    if as_json:
        print_json(me)
    else:
        typer.echo(f"{me['username']} ({me['id']}) on {session.url}")

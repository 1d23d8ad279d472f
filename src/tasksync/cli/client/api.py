"""`tasksync api`: any request to the API with your stored sign-in, the way seed 000's test
client meant it: `tasksync api GET /api/v1/rooms`, `tasksync api POST /api/v1/rooms -d @room.json`,
`tasksync api --list`, `tasksync api create_room_api_v1_rooms_post -d '{"name": "x"}'`."""

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tasksync.cli.client.options import Columns, Json, ProfileName, Url
from tasksync.cli.client.output import API_ERROR, out, print_json, print_rows, reports_errors
from tasksync.cli.client.session import Session

app = typer.Typer()

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
OPENAPI = "/api/openapi.json"


def _pairs(values: list[str] | None, separator: str, option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or []:
        key, found, rest = value.partition(separator)
        if not found or not key.strip():
            raise typer.BadParameter(f"{value!r} is not KEY{separator}VALUE", param_hint=option)
        pairs.append((key.strip(), rest.strip() if separator == ":" else rest))
    return pairs


def _body(data: str | None) -> bytes | None:
    if data is None:
        return None
    if data == "-":
        text = sys.stdin.read()
    elif data.startswith("@"):
        try:
            text = Path(data[1:]).read_text()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {data[1:]}: {exc}", param_hint="--data") from exc
    else:
        text = data
    try:
        json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"the body is not JSON: {exc}", param_hint="--data") from exc
    return text.encode()


def _operations(session: Session) -> list[dict[str, Any]]:
    spec = session.call("GET", OPENAPI, auth=False)
    return [
        {
            "operation": operation.get("operationId", ""),
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
        }
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if method.upper() in METHODS
    ]


def _operation_target(
    session: Session, operation_id: str, params: list[tuple[str, str]]
) -> tuple[str, str]:
    found = next((o for o in _operations(session) if o["operation"] == operation_id), None)
    if found is None:
        raise typer.BadParameter(
            f"{operation_id!r} is neither an HTTP method nor an operation id; "
            "`tasksync api --list` shows the operations",
            param_hint="TARGET",
        )
    values = dict(params)
    needed = re.findall(r"{(\w+)}", found["path"])
    if missing := [name for name in needed if name not in values]:
        raise typer.BadParameter(
            f"{operation_id} needs {', '.join(f'-p {n}=...' for n in missing)}",
            param_hint="--param",
        )
    return found["method"], re.sub(r"{(\w+)}", lambda m: values[m.group(1)], found["path"])


@app.command("api")
@reports_errors
def call_api(
    target: Annotated[
        str | None, typer.Argument(help="An HTTP method (GET, POST...) or an operation id.")
    ] = None,
    path: Annotated[
        str | None, typer.Argument(help="With a method: a path like /api/v1/rooms.")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option("--data", "-d", help="The JSON body, @file.json, or - for standard input."),
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="'Name: value', repeatable.")
    ] = None,
    query: Annotated[list[str] | None, typer.Option("--query", help="k=v, repeatable.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="An operation's path parameter.")
    ] = None,
    include: Annotated[
        bool, typer.Option("--include", "-i", help="Print the status line and headers too.")
    ] = False,
    list_operations: Annotated[
        bool, typer.Option("--list", help="List the server's operations.")
    ] = False,
    as_json: Json = False,
    columns: Columns = None,
    url: Url = None,
    profile: ProfileName = None,
) -> None:
    """Send any request with your stored sign-in and print the answer, colourised.

    Example: tasksync api POST /api/v1/rooms -d '{"name": "Launch"}' -i
    """
    with Session(profile=profile, url=url) as session:
        if list_operations:
            operations = _operations(session)
            if as_json:
                print_json(operations)
            else:
                print_rows(operations, ["operation", "method", "path", "summary"], chosen=columns)
            return
        if target is None:
            raise typer.BadParameter("give METHOD PATH or an operation id", param_hint="TARGET")
        if target.upper() in METHODS:
            if not path:
                raise typer.BadParameter("give the path, like /api/v1/rooms", param_hint="PATH")
            method = target.upper()
        else:
            method, path = _operation_target(session, target, _pairs(param, "=", "--param"))
        headers = dict(_pairs(header, ":", "--header"))
        body = _body(data)
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        response = session.send(
            method,
            path,
            auth=session.signed_in,
            content=body,
            headers=headers,
            params=_pairs(query, "=", "--query"),
        )
    if include:
        out.print(f"HTTP {response.status_code} {response.reason_phrase}", highlight=False)
        for name, value in response.headers.items():
            out.print(f"{name}: {value}", highlight=False, markup=False)
        out.print()
    if response.content:
        if "json" in response.headers.get("content-type", ""):
            out.print_json(response.text)
        else:
            out.print(response.text, markup=False, highlight=False)
    if response.status_code >= 400:
        raise typer.Exit(API_ERROR)

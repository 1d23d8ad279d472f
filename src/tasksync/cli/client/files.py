"""Attachments: `tasksync attach REF FILE`, `tasksync files REF`, `tasksync download FILE_ID`."""

import stat
from pathlib import Path
from typing import Annotated, Any

import typer

from tasksync.cli.client import refs, transfer
from tasksync.cli.client.options import Columns, Json
from tasksync.cli.client.output import err, print_json, print_rows, reports_errors, when
from tasksync.cli.client.session import API, Session
from tasksync.cli.client.tasks import Names, TaskRef

app = typer.Typer()

COLUMNS = ["name", "size", "type", "uploaded_by", "uploaded", "id"]


def size_text(size: int) -> str:
    """A size for people: 512 B, 1.5 KiB, 25.0 MiB."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def _regular_file(path: Path) -> Path:
    """FILE as given, if it is a regular file: a folder, a pipe or a device has no size to
    announce and is refused before anything is sent."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="FILE") from exc
    if not stat.S_ISREG(mode):
        raise typer.BadParameter(f"{path} is not a regular file", param_hint="FILE")
    return path


@app.command()
@reports_errors
def attach(
    task: TaskRef,
    file: Annotated[Path, typer.Argument(help="The file to upload.", show_default=False)],
    as_json: Json = False,
) -> None:
    """Attach a file to a task, with a progress bar (the file is streamed, never read whole).

    Example: tasksync attach Launch#1 notes.pdf
    """
    _regular_file(file)
    with Session() as session:
        found = refs.task(session, task)  # also refreshes an expired sign-in before sending
        ref = Names(session).row(found)["ref"]
        with transfer.progress_bar(file.name, file.stat().st_size) as bar:
            body = transfer.Upload(file, bar)
            response = session.open(
                "POST",
                f"{API}/tasks/{found['id']}/files",
                content=body,
                headers={"Content-Type": body.content_type, "Content-Length": str(body.length)},
            )
        try:
            response.read()
        finally:
            response.close()
    created = response.json()
    if as_json:
        print_json(created)
        return
    size = size_text(created["size"])
    typer.echo(f"Attached {created['name']} ({size}) to {ref}: {created['id']}")


@app.command("files")
@reports_errors
def list_files(task: TaskRef, as_json: Json = False, columns: Columns = None) -> None:
    """A task's attachments, oldest first.

    Example: tasksync files Launch#1 --columns name,size,id
    """
    with Session() as session:
        found = refs.task(session, task)
        files = list(session.pages(f"{API}/tasks/{found['id']}/files", {"limit": 200}))
        if as_json:
            print_json(files)
            return
        names = Names(session)
        people = names.members(found["room_id"])
        title = names.row(found)["ref"]
    rows = [_row(f, people) for f in files]
    print_rows(rows, COLUMNS, chosen=columns, title=title)


def _row(file: dict[str, Any], people: dict[str, str]) -> dict[str, Any]:
    uploader = file["uploaded_by"]
    return {
        "name": file["name"],
        "size": size_text(file["size"]),
        "type": file["content_type"],
        "uploaded_by": people.get(uploader, uploader) if uploader else "",
        "uploaded": when(file["created_at"]),
        "id": file["id"],
    }


@app.command()
@reports_errors
def download(
    file_id: Annotated[str, typer.Argument(help="The file's id (`tasksync files REF` shows it).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write it: a path, or a folder to keep its name in "
            "(default: its name, in this folder).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Download an attachment, with a progress bar; an existing file is kept unless --force.

    Example: tasksync download 01a23af3-5401-7625-9ec0-734a6bb60c49 -o ~/Downloads
    """
    if not refs.is_uuid(file_id):
        raise typer.BadParameter(f"{file_id!r} is not a file id", param_hint="FILE_ID")
    with Session() as session:
        meta = session.call("GET", f"{API}/files/{file_id}")
        destination = _destination(output, meta)
        if destination.exists() and not force:
            raise transfer.exists(destination)
        response = session.open("GET", f"{API}/files/{file_id}/content")
        try:
            size = transfer.receive(response, destination, sha256=meta["sha256"], force=force)
        finally:
            response.close()
    err.print(f"Saved {destination} ({size_text(size)}).", highlight=False, markup=False)


def _destination(output: Path | None, meta: dict[str, Any]) -> Path:
    """`-o` as given (into it, when it is a folder), else the server's name made safe, in
    the current folder: a name never chooses the folder."""
    name = transfer.safe_name(meta["name"], fallback=f"file-{meta['id']}")
    if output is None:
        return Path.cwd() / name
    if output.is_dir():
        return output / name
    if not output.parent.is_dir():
        raise typer.BadParameter(f"there is no folder {output.parent}", param_hint="--output")
    return output

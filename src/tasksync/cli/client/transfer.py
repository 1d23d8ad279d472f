"""Moving file bytes: an upload streamed from disk as multipart/form-data, a download
streamed to a private temporary file beside its destination, each with a progress bar on
standard error. Neither ever holds a whole file in memory."""

import hashlib
import os
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from tasksync.cli.client.output import err
from tasksync.cli.client.session import ClientError, Unreachable

CHUNK = 256 * 1024
# The multipart field the files service reads.
FIELD = "file"


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Progress]:
    """A bar counting bytes (on a terminal it moves; elsewhere its last state is printed)."""
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    bar.add_task(label, total=total)
    with bar:
        yield bar


def _quoted(name: str) -> str:
    """A file name as an RFC 7578 quoted string: backslashes and quotes escaped, control
    characters (a line break would end the header) left out."""
    kept = "".join(c for c in name if unicodedata.category(c) != "Cc")
    return kept.replace("\\", "\\\\").replace('"', '\\"')


class Upload:
    """A file's bytes framed as one multipart/form-data part, read from disk chunk by chunk
    while the bar advances. Its length is known up front, so the server can refuse a file
    over its limit before the bytes are sent."""

    def __init__(self, path: Path, bar: Progress) -> None:
        self.path = path
        self.bar = bar
        self.size = path.stat().st_size
        boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self.head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{FIELD}"; filename="{_quoted(path.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()

    @property
    def length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        left = self.size
        with self.path.open("rb") as source:
            while left:
                chunk = source.read(min(CHUNK, left))
                if not chunk:
                    raise ClientError(f"{self.path} got shorter while it was being sent.")
                left -= len(chunk)
                self.bar.advance(self.bar.task_ids[0], len(chunk))
                yield chunk
        yield self.tail


def safe_name(name: str, fallback: str) -> str:
    """A server's file name made safe to create in a folder: its last part only, no control
    characters, no leading dots (nothing hidden, never `.` or `..`)."""
    last = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in last if unicodedata.category(c)[0] != "C")
    kept = kept.strip().lstrip(".")
    return kept or fallback


def receive(response: httpx.Response, destination: Path, *, sha256: str, force: bool) -> int:
    """Streams `response` into `destination` through a temporary file in its folder, checks
    the bytes against `sha256`, then moves it into place: never over an existing file
    unless `force`, and never leaves a half-written file behind. Returns the size."""
    temporary = destination.parent / f".{destination.name}.{secrets.token_hex(4)}.part"
    # 0o666 less the umask, as any new file; exclusive, so nothing is followed or reused.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    digest = hashlib.sha256()
    size = 0
    total = int(response.headers.get("content-length", 0)) or None
    try:
        with os.fdopen(descriptor, "wb") as out, progress_bar(destination.name, total) as bar:
            try:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.advance(bar.task_ids[0], len(chunk))
            except httpx.TransportError as exc:
                raise Unreachable(str(response.url), f"the download broke off: {exc}") from exc
        if digest.hexdigest() != sha256:
            raise ClientError("The downloaded bytes do not match the file's checksum; try again.")
        _move(temporary, destination, force=force)
    finally:
        temporary.unlink(missing_ok=True)
    return size


def _move(temporary: Path, destination: Path, *, force: bool) -> None:
    if force:
        os.replace(temporary, destination)
        return
    try:
        # A hard link is created only where nothing is: no race with another writer.
        os.link(temporary, destination)
    except FileExistsError:
        raise exists(destination) from None
    except OSError:  # a file system without hard links
        if destination.exists():
            raise exists(destination) from None
        os.replace(temporary, destination)


def exists(destination: Path) -> ClientError:
    return ClientError(f"{destination} already exists; use --force to overwrite it.")

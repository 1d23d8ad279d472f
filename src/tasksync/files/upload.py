"""Receiving an upload: the multipart body is parsed as it streams in, the file part written
to a spool file while it is counted and hashed, so memory stays small whatever the size, and
a file over the limit is refused (413) as soon as it passes it, its partial spool removed.

One part named `file` is the attachment; any other part is refused.
"""

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from tasksync.common.errors import InvalidField, PayloadTooLarge
from tasksync.common.ids import uuid7
from tasksync.files.sniff import HEAD_BYTES

FIELD = "file"
# Room for the multipart framing and part headers around the file itself.
FRAMING_BYTES = 64 * 1024


class UploadTooLarge(PayloadTooLarge):
    slug, title = "file-too-large", "File too large"


@dataclass(slots=True)
class Received:
    """A file received whole into the spool."""

    path: Path
    name: str | None
    size: int
    sha256: str
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(slots=True)
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: bytes = b""
    header_name: bytes = b""
    header_value: bytes = b""


class _Receiver:
    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.part = _Part()
        self.out: IO[bytes] | None = None
        self.found = False
        self.name: str | None = None
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def _header_end(self) -> None:
        self.part.headers[self.part.header_name.lower()] = self.part.header_value
        self.part.header_name = self.part.header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if options.get(b"name") != FIELD.encode() or self.found:
            raise InvalidField(f"Send one file, as the multipart field `{FIELD}`.")
        self.found = True
        raw_name = options.get(b"filename")
        self.name = raw_name.decode("utf-8", errors="replace") if raw_name is not None else None
        self.out = self.path.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        assert self.out is not None
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(f"A file may hold at most {self.limit} bytes.")
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self.digest.update(chunk)
        self.out.write(chunk)

    def _end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


def boundary(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidField(f"Send the file as multipart/form-data, in the field `{FIELD}`.")
    return options[b"boundary"]


async def receive(
    stream: AsyncIterator[bytes], *, content_type: str | None, spool: Path, limit: int
) -> Received:
    """Reads a multipart body into a new file under `spool`."""
    path = spool / f"{uuid7().hex}.upload"
    receiver = _Receiver(path, limit)
    parser = MultipartParser(boundary(content_type), receiver.callbacks())
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        if not receiver.found or receiver.out is not None:
            raise InvalidField(f"Send one file, as the multipart field `{FIELD}`.")
    except MultipartParseError:
        receiver.close()
        path.unlink(missing_ok=True)
        raise InvalidField("The multipart body is malformed.") from None
    except BaseException:
        receiver.close()
        path.unlink(missing_ok=True)
        raise
    return Received(
        path=path,
        name=receiver.name,
        size=receiver.size,
        sha256=receiver.digest.hexdigest(),
        head=bytes(receiver.head),
    )


def forget_old_spools(spool: Path, *, older_than_seconds: float, now: float) -> int:
    """Spool files of uploads cut short by a crash."""
    removed = 0
    for path in spool.glob("*.upload"):
        if now - path.stat().st_mtime > older_than_seconds:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def ensure_spool(spool: Path) -> None:
    os.makedirs(spool, exist_ok=True)

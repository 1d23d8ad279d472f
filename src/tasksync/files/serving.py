"""Serving a blob safely: `nosniff`, a sandboxing CSP, `attachment` for every type but the
inert images, the name only as RFC 6266 `filename*`; `ETag` (the SHA-256), `If-None-Match`
(304) and one byte `Range` (206, or 416 outside the file).

Several ranges in one request are answered with the whole file (RFC 9110 allows it).
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Response
from fastapi.responses import StreamingResponse

from tasksync.common.errors import NotFound
from tasksync.files.names import content_disposition
from tasksync.files.sniff import served_inline
from tasksync.files.storage import BlobMissing, Storage

SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True, slots=True)
class Blob:
    key: str
    # None when not known (a thumbnail): then no Range, no Content-Length.
    size: int | None
    content_type: str
    name: str
    sha256: str


def _etag(digest: str) -> str:
    return f'"{digest}"'


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def byte_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) of a satisfiable single range; None to send it all; False when the
    range lies outside the file (416)."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return (max(0, size - length), size - 1) if size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


async def serve(
    storage: Storage,
    blob: Blob,
    *,
    if_none_match: str | None,
    range_header: str | None,
    if_range: str | None,
) -> Response:
    etag = _etag(blob.sha256)
    kind = "inline" if served_inline(blob.content_type) else "attachment"
    headers = {
        **SAFETY_HEADERS,
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(kind, blob.name),
    }
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    size = blob.size
    wanted = byte_range(range_header, size) if size is not None else None
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    if wanted is False:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if isinstance(wanted, tuple) else (0, None)
    # Opened before the answer starts: a missing blob is still a clean error.
    body = storage.read(blob.key, start=start, end=end)
    try:
        first = await anext(body, b"")
    except BlobMissing:
        raise NotFound("This file's bytes are missing from the store.") from None
    status = 200
    if isinstance(wanted, tuple) and size is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(wanted[1] - start + 1)
    elif size is not None:
        headers["Content-Length"] = str(size)

    async def stream() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in body:
            yield chunk

    return StreamingResponse(
        stream(), status_code=status, headers=headers, media_type=blob.content_type
    )

"""Optimistic concurrency over HTTP: an `ETag` made from a row's version, and the `If-Match`
check that refuses a write based on a stale copy (412).

    response.headers["ETag"] = etag(task.version)
    check_if_match(if_match, task.version)   # raises PreconditionFailed

ETags are strong (`"3"`): `If-Match` uses the strong comparison of RFC 9110, so a weak tag
(`W/"3"`) never matches. `If-Match: *` matches any existing resource; no header means no
precondition.
"""

from typing import Annotated

from fastapi import Header

from tasksync.common.errors import PreconditionFailed

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=1000)]


def etag(version: int) -> str:
    """The entity tag of a resource at `version`."""
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def matches(if_match: str | None, version: int) -> bool:
    """Whether an `If-Match` header value allows a write to the resource at `version`."""
    if if_match is None:
        return True
    tags = _tags(if_match)
    return "*" in tags or etag(version) in tags


def check_if_match(if_match: str | None, version: int) -> None:
    """Raises PreconditionFailed unless `If-Match` is absent or names the current version."""
    if not matches(if_match, version):
        raise PreconditionFailed(
            f"The resource changed since you read it (its ETag is now {etag(version)}); "
            "read it again and retry."
        )

"""Pages of room lists kept in memory, as the JSON bytes they were answered with.

A board is opened again and again by every member of a room while nothing in it changes. A
page is cached under the room's version (`RoomCounter.version`), which every write to the
room's tasks bumps in its own transaction, and which a list reads in the same query as the
caller's membership, before the page. So an entry holds the room as of its version or later,
a reader only ever gets an entry of the version it has just read, and a write is visible to
the next list on every replica: no invalidation messages, no stale boards.

What depends on more than the room is not cached: lists filtered by `overdue` (they change
with the clock). Lists filtered by `assignee=me` are cached per caller.
"""

from collections import OrderedDict
from collections.abc import Hashable
from uuid import UUID

from tasksync.common.pagination import PageParams
from tasksync.tasks.queries import Sort, TaskFilter

PageKey = tuple[Hashable, ...]


def page_key(
    *,
    room_id: UUID,
    version: int,
    caller_id: UUID,
    filters: TaskFilter,
    sort: Sort | None,
    page: PageParams | None,
) -> PageKey | None:
    """The cache key of one page (or, without sort and page, of the room's counts), or None
    when it must not be cached."""
    if filters.overdue is not None:
        return None
    reader = caller_id if filters.assignee == "me" else None
    if page is None:
        return (room_id, version, reader, filters, "counts")
    return (room_id, version, reader, filters, sort, page.limit, page.cursor)


class PageCache:
    """The most recently used pages, up to `max_bytes` of bodies in all."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._pages: OrderedDict[PageKey, bytes] = OrderedDict()

    def get(self, key: PageKey) -> bytes | None:
        body = self._pages.get(key)
        if body is not None:
            self._pages.move_to_end(key)
        return body

    def put(self, key: PageKey, body: bytes) -> None:
        if len(body) > self.max_bytes or key in self._pages:
            return
        self._pages[key] = body
        self.size += len(body)
        while self.size > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self.size -= len(evicted)

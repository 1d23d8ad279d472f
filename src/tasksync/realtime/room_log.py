"""What a room keeps for `resume`: its sequence numbers and its last events (embedded mode).

In distributed mode the same lives in Redis (fanout_redis.py), shared by every replica; here
one process holds it. Both answer a resume with `replay_after`.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

# (seq, unix time in ms, the pushed message)
Entry = tuple[int, int, str]


def now_ms() -> int:
    return int(time.time() * 1000)


def replay_after(
    entries: list[Entry], *, after: int, last_seq: int, oldest_ms: int
) -> list[tuple[int, str]] | None:
    """The messages after `after`, or None when some of them are no longer kept (or the
    client's number is from a sequence that no longer exists): the client refetches."""
    if after == last_seq:
        return []
    if after > last_seq or after < 0:
        return None
    kept = [(seq, text) for seq, at, text in entries if seq > after and at >= oldest_ms]
    if not kept or kept[0][0] != after + 1:
        return None
    return kept


@dataclass
class _Room:
    seq: int = 0
    entries: deque[Entry] = field(default_factory=deque)


class RoomLogs:
    """Per-room sequences and bounded buffers in this process."""

    def __init__(self, *, max_events: int, max_seconds: int, remember_ids: int = 10_000) -> None:
        self.max_events = max_events
        self.max_ms = max_seconds * 1000
        self.rooms: dict[UUID, _Room] = {}
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.remember_ids = remember_ids

    def first_time(self, event_id: str) -> bool:
        """False for an event already pushed (a redelivery)."""
        if event_id in self.seen:
            return False
        self.seen[event_id] = None
        if len(self.seen) > self.remember_ids:
            self.seen.popitem(last=False)
        return True

    def append(self, room_id: UUID, message_for: Callable[[int], str]) -> tuple[int, str]:
        room = self.rooms.setdefault(room_id, _Room())
        room.seq += 1
        text = message_for(room.seq)
        room.entries.append((room.seq, now_ms(), text))
        horizon = now_ms() - self.max_ms
        while room.entries and (
            len(room.entries) > self.max_events or room.entries[0][1] < horizon
        ):
            room.entries.popleft()
        return room.seq, text

    def replay(self, room_id: UUID, after: int) -> list[tuple[int, str]] | None:
        room = self.rooms.get(room_id, _Room())
        return replay_after(
            list(room.entries), after=after, last_seq=room.seq, oldest_ms=now_ms() - self.max_ms
        )

    def forget(self, room_id: UUID) -> None:
        self.rooms.pop(room_id, None)

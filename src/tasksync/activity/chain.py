"""The hash chain: each entry's hash is SHA-256 of the previous entry's hash followed by the
entry's canonical JSON, so changing, deleting or reordering any entry breaks every hash
after it.

Appending locks the one-row chain head (`SELECT ... FOR UPDATE`) in the consumer's
transaction until it commits: whatever the number of consumer replicas, entries take their
positions one after the other, in commit order, each from the hash the previous one left.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

GENESIS = ""
# The fields a hash covers, in the order of the table (the JSON sorts them anyway).
HASHED = (
    "id",
    "seq",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_label",
    "room_id",
    "type",
    "subject_type",
    "subject_id",
    "subject_label",
    "changes",
    "summary",
)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical(entry: dict[str, Any]) -> bytes:
    """The entry's hashed fields as JSON with sorted keys, UUIDs and times as text."""
    return orjson.dumps(
        {name: entry[name] for name in HASHED},
        default=_plain,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME,
    )


def entry_hash(previous: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_bad: UUID | None = None
    # The position where the chain breaks: a bad entry's, or just after the last entry when
    # entries at the end are missing.
    first_bad_seq: int | None = None


class Walk:
    """Checks entries one after the other from where the chain starts (a checkpoint)."""

    def __init__(self, *, seq: int, hash: str) -> None:
        self.seq = seq
        self.hash = hash
        self.entries = 0
        self.bad: Verdict | None = None

    def step(self, entry: dict[str, Any]) -> bool:
        """False at the first entry that is out of place or whose hash does not match."""
        self.entries += 1
        if entry["seq"] != self.seq + 1 or entry_hash(self.hash, entry) != entry["hash"]:
            self.bad = Verdict(False, self.entries, entry["id"], self.seq + 1)
            return False
        self.seq, self.hash = entry["seq"], entry["hash"]
        return True

    def end(self, *, head_seq: int, head_hash: str) -> Verdict:
        if self.bad is not None:
            return self.bad
        if (self.seq, self.hash) != (head_seq, head_hash):
            return Verdict(False, self.entries, None, self.seq + 1)
        return Verdict(True, self.entries)

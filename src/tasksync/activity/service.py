"""The audit trail: recording events as entries in the chain, reading them with the room
rules, verifying the chain and cutting it for retention.

Functions take the session first and never commit: the event (or the request) is the unit
of work.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasksync.activity import queries
from tasksync.activity.chain import Verdict, Walk, entry_hash
from tasksync.activity.queries import EntryFilter
from tasksync.activity.summaries import Names, Rendered, render
from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.errors import NotFound
from tasksync.common.events.catalog import Event
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.room_roles import RoleSource, room_access

NO_TASK = "No such task, or you are not a member of its room."


def _named_ids(event: Event[Any]) -> set[UUID]:
    """Every id an event names that may have a label: its actor, room, and the ids in its
    data (in lists, like mentioned people, and assignees in a change included)."""
    found = {value for value in (event.actor_id, event.room_id) if value is not None}
    data = event.data.model_dump()
    found |= {value for value in data.values() if isinstance(value, UUID)}
    found |= {
        v
        for value in data.values()
        if isinstance(value, list)
        for v in value
        if isinstance(v, UUID)
    }
    for values in (data.get("changes"), data.get("previous")):
        if isinstance(values, dict) and values.get("assignee_id"):
            found.add(UUID(str(values["assignee_id"])))
    return found


def _actor_label(names: Names, rendered: Rendered) -> str | None:
    """The actor's name, or the one this very event gives them (a registration)."""
    if names.actor_id is None:
        return None
    learned = rendered.learned.get(names.actor_id)
    return learned[1] if learned else names.user(names.actor_id)


@dataclass
class Appended:
    """The transaction's entries so far, written by `write_entries` before its commit: the
    chain head is locked and read once per transaction, and a batch of events costs one
    insert of its entries, one update of the head and one upsert of the labels learned."""

    head: tuple[int, str]
    entries: list[dict[str, Any]] = field(default_factory=list)
    learned: dict[UUID, tuple[str, str]] = field(default_factory=dict)


APPENDED = "tasksync.activity.appended"


async def record(session: AsyncSession, event: Event[Any]) -> None:
    """Appends the entry of one event to the chain (the inbox makes it once per event)."""
    appended: Appended | None = session.info.get(APPENDED)
    wanted = _named_ids(event)
    known = await queries.labels(session, wanted)
    if appended is not None:
        known |= {i: label for i, (_, label) in appended.learned.items() if i in wanted}
    names = Names(known, event.actor_id)
    rendered = render(event, names)
    if appended is None:
        head = await queries.lock_head(session)
        appended = session.info[APPENDED] = Appended((head.seq, head.hash))
    seq, previous = appended.head
    envelope = event.envelope
    values: dict[str, Any] = {
        "id": envelope.id,
        "seq": seq + 1,
        "occurred_at": envelope.occurred_at,
        "recorded_at": utcnow(),
        "actor_id": envelope.actor_id,
        "actor_label": _actor_label(names, rendered),
        "room_id": envelope.room_id,
        "type": envelope.type,
        "subject_type": rendered.subject_type,
        "subject_id": rendered.subject_id,
        "subject_label": rendered.subject_label,
        "changes": rendered.changes,
        "summary": rendered.summary,
    }
    values["hash"] = entry_hash(previous, values)
    appended.head = (values["seq"], values["hash"])
    appended.entries.append(values)
    appended.learned |= rendered.learned


async def write_entries(session: AsyncSession) -> None:
    """Writes the transaction's entries, the new head and the labels they taught."""
    appended: Appended | None = session.info.pop(APPENDED, None)
    if appended is None:
        return
    await queries.add_entries(session, appended.entries, head=appended.head)
    await queries.keep_labels(session, appended.learned)


# Reading, with the room rules: a room's entries are its members' (outsiders get 404).


async def room_feed(
    session: AsyncSession, *, room_id: UUID, where: EntryFilter, page: PageParams
) -> Slice[Any]:
    """The caller's access to the room was checked by the route's dependency."""
    return await queries.page(session, replace(where, room_id=room_id), page)


async def task_history(
    session: AsyncSession, roles: RoleSource, *, task_id: UUID, caller: Principal, page: PageParams
) -> Slice[Any]:
    room_id = await queries.task_room(session, task_id)
    if room_id is None:
        raise NotFound(NO_TASK)
    try:
        await room_access(roles, session, room_id=room_id, caller=caller)
    except NotFound:
        raise NotFound(NO_TASK) from None
    return await queries.page(session, EntryFilter(subject_id=task_id), page)


async def my_activity(
    session: AsyncSession, *, caller: Principal, where: EntryFilter, page: PageParams
) -> Slice[Any]:
    return await queries.page(session, replace(where, actor_id=caller.id), page)


async def audit(session: AsyncSession, *, where: EntryFilter, page: PageParams) -> Slice[Any]:
    """Everything, for system administrators (checked by the route)."""
    return await queries.page(session, where, page)


async def verify(conn: AsyncConnection, *, batch_size: int) -> Verdict:
    """Walks the chain from its start (or the last retention checkpoint) to its head."""
    seq, start_hash = await queries.chain_start(conn)
    walk = Walk(seq=seq, hash=start_hash)
    async for batch in queries.batches(conn, EntryFilter(), after=seq, size=batch_size):
        if not all(walk.step(entry) for entry in batch):
            break
    head_seq, head_hash = await queries.chain_head(conn)
    return walk.end(head_seq=head_seq, head_hash=head_hash)


async def retain(session: AsyncSession, *, days: int) -> int:
    """Deletes the entries recorded more than `days` ago, keeping a checkpoint at the cut;
    returns how many went."""
    now = utcnow()
    found = await queries.last_seq_before(session, now - timedelta(days=days))
    if found is None:
        return 0
    seq, hash = found
    return await queries.cut(session, seq=seq, hash=hash, now=now)

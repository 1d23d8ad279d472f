"""The kit's room-role replica on a real database, with a real HTTP peer standing in for the
rooms service: what its events do, what a miss asks, and who may do what."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI, Header, Response

from tasksync.common.auth import Principal
from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database, model_base
from tasksync.common.errors import Forbidden, NotFound, ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.ids import uuid7
from tasksync.common.room_roles import RoomAccess, RoomRoleReplica, room_access
from tasksync.common.settings import ServiceLinkSettings
from tasksync.contracts.events import Envelope, EventData
from tasksync.contracts.roles import ROLES
from tasksync.contracts.rooms import MemberAdded, MemberRemoved, MemberRoleChanged, RoomDeleted
from tasksync.contracts.users import UserDeleted
from tests.helpers.servers import running_server

ROOM, OTHER_ROOM, ANN, BOB = uuid7(), uuid7(), uuid7(), uuid7()


def _caller(user_id: UUID, token: str = "ann-token") -> Principal:
    return Principal(
        id=user_id, username="ann", session_id="s", issued_at=0, expires_at=0, token=token
    )


class RoomsPeer:
    """A rooms service on loopback that knows some memberships and counts the questions."""

    def __init__(self) -> None:
        self.roles: dict[tuple[UUID, UUID], str] = {}
        self.asked: list[tuple[UUID, UUID, str]] = []
        self.failing = False
        self.app = FastAPI()
        self.app.add_api_route("/api/v1/rooms/{room_id}/members/{user_id}", self.member)

    async def member(
        self, room_id: UUID, user_id: UUID, response: Response, authorization: str = Header("")
    ) -> dict[str, Any]:
        self.asked.append((room_id, user_id, authorization))
        if self.failing:
            response.status_code = 500
            return {}
        if (room_id, user_id) not in self.roles:
            response.status_code = 404
            return {}
        return {"role": self.roles[room_id, user_id]}


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[tuple[RoomRoleReplica, Database]]:
    replica = RoomRoleReplica(model_base().metadata)
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'roles.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(replica.table.metadata.create_all)
    yield replica, db
    await db.close()


@pytest.fixture
async def rooms() -> AsyncIterator[tuple[RoomsPeer, ServiceDirectory]]:
    peer = RoomsPeer()
    async with running_server(peer.app, lifespan="off") as url:
        directory = ServiceDirectory(ServiceLinkSettings(service_urls={"rooms": url}))
        yield peer, directory
        await directory.close()


def _envelope(data: EventData, occurred_at: datetime) -> Envelope:
    return Envelope(
        id=uuid7(),
        type=data.type_name,
        version=data.version,
        occurred_at=occurred_at,
        producer=data.producer,
        data=data.model_dump(mode="json"),
    )


async def _apply(replica: RoomRoleReplica, db: Database, data: EventData) -> None:
    envelope = _envelope(data, datetime.now(UTC))
    async with db.sessionmaker.begin() as session:
        for handler in replica.handlers.for_type(data.type_name):
            await handler(session, Event(envelope, data))


async def _rows(replica: RoomRoleReplica, db: Database) -> set[tuple[UUID, UUID, str]]:
    async with db.engine.connect() as conn:
        return {tuple(row) for row in await conn.execute(replica.table.select())}  # type: ignore[misc]


class TestEvents:
    async def test_members_come_change_and_go_with_the_rooms_events(self, replica: Any) -> None:
        table, db = replica
        await _apply(table, db, MemberAdded(room_id=ROOM, user_id=ANN, role="member"))
        await _apply(table, db, MemberAdded(room_id=ROOM, user_id=BOB, role="viewer"))
        await _apply(table, db, MemberAdded(room_id=OTHER_ROOM, user_id=ANN, role="owner"))
        await _apply(
            table,
            db,
            MemberRoleChanged(room_id=ROOM, user_id=ANN, role="admin", previous_role="member"),
        )
        assert await _rows(table, db) == {
            (ROOM, ANN, "admin"),
            (ROOM, BOB, "viewer"),
            (OTHER_ROOM, ANN, "owner"),
        }
        await _apply(table, db, MemberRemoved(room_id=ROOM, user_id=BOB))
        assert await _rows(table, db) == {(ROOM, ANN, "admin"), (OTHER_ROOM, ANN, "owner")}
        await _apply(table, db, RoomDeleted(room_id=OTHER_ROOM))
        assert await _rows(table, db) == {(ROOM, ANN, "admin")}
        await _apply(table, db, UserDeleted(user_id=ANN))
        assert await _rows(table, db) == set()

    async def test_an_event_overwrites_what_a_miss_kept(self, replica: Any) -> None:
        table, db = replica
        asked = datetime.now(UTC)
        async with db.sessionmaker.begin() as session:
            await table.keep(session, room_id=ROOM, user_id=ANN, role="member", asked_at=asked)
            # A second answer does not overwrite the first.
            await table.keep(session, room_id=ROOM, user_id=ANN, role="owner", asked_at=asked)
        assert await _rows(table, db) == {(ROOM, ANN, "member")}
        changed = MemberRoleChanged(
            room_id=ROOM, user_id=ANN, role="viewer", previous_role="member"
        )
        await _apply(table, db, changed)
        assert await _rows(table, db) == {(ROOM, ANN, "viewer")}


class TestRevocations:
    async def test_a_revocation_forgets_the_member_and_an_older_event_cannot_bring_it_back(
        self, replica: Any
    ) -> None:
        table, db = replica
        added = MemberAdded(room_id=ROOM, user_id=ANN, role="admin")
        late = _envelope(added, datetime.now(UTC))  # published before the removal...
        await _apply(table, db, MemberAdded(room_id=ROOM, user_id=BOB, role="member"))
        async with db.sessionmaker.begin() as session:
            await table.revoke(session, room_id=ROOM, user_id=ANN)
        async with db.sessionmaker.begin() as session:  # ... delivered after it
            for handler in table.handlers.for_type(added.type_name):
                await handler(session, Event(late, added))
        assert await _rows(table, db) == {(ROOM, BOB, "member")}
        await _apply(table, db, added)  # joined again, after the revocation: back in
        assert await _rows(table, db) == {(ROOM, BOB, "member"), (ROOM, ANN, "admin")}

    async def test_an_answer_asked_before_the_revocation_is_not_kept(self, replica: Any) -> None:
        table, db = replica
        asked = datetime.now(UTC)
        async with db.sessionmaker.begin() as session:
            await table.revoke(session, room_id=ROOM, user_id=None)  # the room is deleted
            await table.keep(session, room_id=ROOM, user_id=ANN, role="member", asked_at=asked)
        assert await _rows(table, db) == set()
        async with db.sessionmaker.begin() as session:
            await table.keep(
                session, room_id=ROOM, user_id=ANN, role="member", asked_at=datetime.now(UTC)
            )
        assert await _rows(table, db) == {(ROOM, ANN, "member")}

    async def test_old_tombstones_are_forgotten(self, replica: Any) -> None:
        table, db = replica
        async with db.sessionmaker.begin() as session:
            await table.revoke(session, room_id=ROOM, user_id=ANN)
            await table.forget_tombstones(session, timedelta(days=1))
        async with db.engine.connect() as conn:
            assert len((await conn.execute(table.tombstones.select())).all()) == 1
        async with db.sessionmaker.begin() as session:
            await table.forget_tombstones(session, timedelta(seconds=-1))
        async with db.engine.connect() as conn:
            assert (await conn.execute(table.tombstones.select())).all() == []


class TestMiss:
    async def test_a_miss_asks_rooms_with_the_callers_token_and_keeps_a_yes(
        self, replica: Any, rooms: Any
    ) -> None:
        (table, db), (peer, directory) = replica, rooms
        peer.roles[ROOM, ANN] = "member"
        source = table.source(directory.client("rooms"))
        async with db.sessionmaker.begin() as session:
            access = await room_access(source, session, room_id=ROOM, caller=_caller(ANN))
        assert access.role == "member"
        assert peer.asked == [(ROOM, ANN, "Bearer ann-token")]
        async with db.sessionmaker.begin() as session:  # now from the replica
            await room_access(source, session, room_id=ROOM, caller=_caller(ANN))
        assert len(peer.asked) == 1
        assert await _rows(table, db) == {(ROOM, ANN, "member")}

    async def test_an_outsider_gets_404_and_nothing_negative_is_kept(
        self, replica: Any, rooms: Any
    ) -> None:
        (table, db), (peer, directory) = replica, rooms
        source = table.source(directory.client("rooms"))
        for _ in range(2):
            async with db.sessionmaker.begin() as session:
                with pytest.raises(NotFound):
                    await room_access(source, session, room_id=ROOM, caller=_caller(BOB))
        assert len(peer.asked) == 2  # asked again: a refusal is never cached
        peer.roles[ROOM, BOB] = "viewer"  # joined meanwhile: let in at once
        async with db.sessionmaker.begin() as session:
            access = await room_access(source, session, room_id=ROOM, caller=_caller(BOB))
        assert access.role == "viewer"
        assert await _rows(table, db) == {(ROOM, BOB, "viewer")}

    async def test_rooms_failing_is_a_503_not_a_refusal(self, replica: Any, rooms: Any) -> None:
        (table, db), (peer, directory) = replica, rooms
        peer.failing = True
        source = table.source(directory.client("rooms"))
        async with db.sessionmaker.begin() as session:
            with pytest.raises(ServiceUnavailable):
                await room_access(source, session, room_id=ROOM, caller=_caller(ANN))
        assert await _rows(table, db) == set()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_can_do_what_the_roles_below_it_can(role: str) -> None:
    access = RoomAccess(room_id=ROOM, caller=_caller(ANN), role=role)  # type: ignore[arg-type]
    for other in ROLES:
        allowed = ROLES.index(other) <= ROLES.index(role)
        assert access.at_least(other) is allowed
        if allowed:
            access.require(other, "do it")
        else:
            with pytest.raises(Forbidden, match=f"\\({role}\\)"):
                access.require(other, "do it")

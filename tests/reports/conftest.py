"""Fixtures of the reports suite: the embedded stack with the reports service's database and
clock at hand, a room with one person per role, and a feed that publishes task events with
chosen times, the way the tasks service's relay does."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.common.clock import Clock
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope, EventData
from tasksync.contracts.tasks import TaskCreated, TaskDeleted, TaskUpdated
from tasksync.reports.models import event_tables
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.waiting import eventually


@pytest.fixture
def reports_app(stack_app: FastAPI) -> FastAPI:
    return stack_app.state.mounted["reports"]


@pytest.fixture
def reports_db(reports_app: FastAPI) -> Database:
    """The reports service's own database."""
    return reports_app.state.kit.db


@pytest.fixture
def clock(reports_app: FastAPI) -> Clock:
    """The reports service's clock: set it to make "now" a known moment."""
    return reports_app.state.runtime.clock


@pytest.fixture
async def room(client: Any) -> RoleRoom:
    return await room_with_roles(client, await cast_of(client), "Board")


def envelope(data: EventData, *, at: datetime, actor_id: UUID | None, room_id: UUID) -> Envelope:
    return Envelope(
        id=uuid7(),
        type=data.type_name,
        version=data.version,
        occurred_at=at,
        producer=data.producer,
        actor_id=actor_id,
        room_id=room_id,
        data=data.model_dump(mode="json"),
    )


async def applied(db: Database, event_ids: list[UUID]) -> bool:
    inbox = event_tables.inbox
    async with db.sessionmaker() as session:
        found = set(
            (
                await session.scalars(
                    select(inbox.c.event_id).where(inbox.c.event_id.in_(event_ids))
                )
            ).all()
        )
    return found == set(event_ids)


@dataclass
class Feed:
    """Task events of one room with chosen times, published on the bus as the tasks
    service's relay does; `await feed.settled()` waits until the reports service applied
    them. Versions count per task, as the tasks service's do."""

    app: FastAPI
    db: Database
    room_id: UUID
    actor_id: UUID
    sent: list[Envelope] = field(default_factory=list)
    versions: dict[UUID, int] = field(default_factory=dict)
    numbers: dict[UUID, int] = field(default_factory=dict)

    def created(
        self,
        at: datetime,
        *,
        status: str = "pending",
        priority: str = "none",
        assignee_id: UUID | None = None,
        deadline: datetime | None = None,
        task_id: UUID | None = None,
    ) -> UUID:
        task_id = task_id or uuid7()
        self.numbers[task_id] = len(self.numbers) + 1
        self.versions[task_id] = 1
        data = TaskCreated(
            task_id=task_id,
            room_id=self.room_id,
            number=self.numbers[task_id],
            title="Task",
            status=status,
            priority=priority,
            assignee_id=assignee_id,
            deadline=deadline,
            created_by=self.actor_id,
        )
        self.sent.append(envelope(data, at=at, actor_id=self.actor_id, room_id=self.room_id))
        return task_id

    def updated(self, task_id: UUID, at: datetime, **changes: Any) -> Envelope:
        self.versions[task_id] += 1
        if "status" in changes:
            changes["completed_at"] = at if changes["status"] == "completed" else None
        data = TaskUpdated(
            task_id=task_id,
            room_id=self.room_id,
            number=self.numbers[task_id],
            version=self.versions[task_id],
            changes=changes,
        )
        sent = envelope(data, at=at, actor_id=self.actor_id, room_id=self.room_id)
        self.sent.append(sent)
        return sent

    def moved(self, task_id: UUID, status: str, at: datetime) -> Envelope:
        return self.updated(task_id, at, status=status)

    def deleted(self, task_id: UUID, at: datetime) -> None:
        data = TaskDeleted(task_id=task_id, room_id=self.room_id, number=self.numbers[task_id])
        self.sent.append(envelope(data, at=at, actor_id=self.actor_id, room_id=self.room_id))

    async def publish(self, envelopes: list[Envelope] | None = None) -> None:
        """Puts events on the bus (all unsent ones by default) and waits until applied."""
        batch = envelopes if envelopes is not None else self.sent
        await self.app.state.kit.events.bus.publish(
            "tasks", [sent.model_dump(mode="json") for sent in batch]
        )
        await eventually(lambda: applied(self.db, [sent.id for sent in batch]))
        if envelopes is None:
            self.sent = []


@pytest.fixture
def feed(reports_app: FastAPI, reports_db: Database, room: RoleRoom) -> Feed:
    return Feed(reports_app, reports_db, UUID(room.id), UUID(room.owner.id))

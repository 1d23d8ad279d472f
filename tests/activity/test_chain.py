"""The hash chain: `verify` (API and CLI) finds an entry changed, removed or moved directly
in the database, and still verifies after retention cut the chain."""

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tasksync.activity import service
from tasksync.activity.models import Checkpoint
from tasksync.cli.main import app as cli
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.contracts.tasks import TaskCreated, TaskUpdated
from tasksync.contracts.users import UserSignedIn
from tests.activity.conftest import ADMIN_AUDIT, count_entries, entries, envelope, publish, recorded
from tests.helpers.builders import Person, assert_problem, signed_up

VERIFY = f"{ADMIN_AUDIT}/verify"


async def some_entries(stack_app: FastAPI, db: Database, person: Person, count: int) -> None:
    """`count` more entries (sign-ins of `person`), recorded."""
    for _ in range(count):
        sent = envelope(
            UserSignedIn(user_id=UUID(person.id), username=person.username),
            actor_id=UUID(person.id),
        )
        await publish(stack_app.state.mounted["users"], sent)
        await recorded(db, sent.id)


async def tamper(db: Database, sql: str, **params: Any) -> None:
    """Changes the entries behind the service's back, as a database superuser can (on
    PostgreSQL the append-only trigger is bypassed with `session_replication_role`)."""
    async with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(sql), params)


async def verdict(client: httpx.AsyncClient, root: Person) -> dict[str, Any]:
    response = await client.get(VERIFY, headers=root.headers)
    assert response.status_code == 200, response.text
    return response.json()


def cli_verify(settings: dict[str, Any]) -> Any:
    """`tasksync activity verify` against this test's databases."""
    if "postgres_url" in settings:
        env = {
            "TASKSYNC_POSTGRES_URL": settings["postgres_url"],
            "TASKSYNC_DB_PREFIX": settings["db_prefix"],
        }
        return CliRunner().invoke(cli, ["activity", "verify"], env=env)
    return CliRunner().invoke(
        cli, ["activity", "verify", "--data-dir", str(settings["data_dir"])], env={}
    )


@pytest.fixture
async def chained(
    stack_app: FastAPI, activity_db: Database, root: Person, client: httpx.AsyncClient
) -> list[Any]:
    """Nine entries, all recorded: the root's registration, sign-in and promotion, and six
    more sign-ins."""
    await some_entries(stack_app, activity_db, root, 6)

    assert (await verdict(client, root))["ok"]
    return await entries(activity_db)


class TestBatches:
    async def test_events_applied_in_one_transaction_chain_in_order_and_name_each_other(
        self,
        client: httpx.AsyncClient,
        root: Person,
        chained: list[Any],
        activity_app: FastAPI,
        activity_db: Database,
    ) -> None:
        task, room, actor = uuid7(), uuid7(), UUID(root.id)
        created = TaskCreated(
            task_id=task,
            room_id=room,
            number=12,
            title="Budget",
            status="pending",
            priority="none",
            assignee_id=None,
            deadline=None,
            created_by=actor,
        )
        moved = TaskUpdated(
            task_id=task,
            room_id=room,
            number=12,
            version=2,
            changes={"status": "in_progress", "completed_at": None},
            previous={"status": "pending", "completed_at": None},
        )
        batch = [envelope(data, actor_id=actor, room_id=room) for data in (created, moved)]
        applier = activity_app.state.kit.events.applier
        assert await applier.apply_batch([sent.model_dump(mode="json") for sent in batch])
        found = await entries(activity_db)
        assert [entry.seq for entry in found] == list(range(1, len(chained) + 3))
        assert [entry.id for entry in found[-2:]] == [sent.id for sent in batch]
        # The task's title, learned from the first event of the batch, names it in the second.
        assert found[-1].summary.endswith("moved #12 Budget from pending to in progress")
        assert (await verdict(client, root))["ok"]


class TestVerify:
    async def test_an_untouched_chain_verifies_through_the_api_and_the_cli(
        self, client: httpx.AsyncClient, root: Person, chained: list[Any], settings: Any
    ) -> None:
        answer = await verdict(client, root)
        assert answer == {
            "ok": True,
            "entries": len(chained),
            "first_bad": None,
            "first_bad_seq": None,
        }
        result = await asyncio.to_thread(cli_verify, settings)
        assert result.exit_code == 0, result.output
        assert f'"ok":true,"entries":{len(chained)}' in result.output

    async def test_a_changed_entry_is_named(
        self,
        client: httpx.AsyncClient,
        root: Person,
        chained: list[Any],
        activity_db: Database,
        settings: Any,
    ) -> None:
        target = chained[3]
        await tamper(
            activity_db,
            "UPDATE activity_entries SET summary = 'nothing happened' WHERE seq = :seq",
            seq=target.seq,
        )
        answer = await verdict(client, root)
        assert answer["ok"] is False
        assert answer["first_bad"] == str(target.id)
        result = await asyncio.to_thread(cli_verify, settings)
        assert result.exit_code == 1
        assert str(target.id) in result.output

    async def test_a_deleted_entry_names_the_one_after_it(
        self, client: httpx.AsyncClient, root: Person, chained: list[Any], activity_db: Database
    ) -> None:
        await tamper(
            activity_db, "DELETE FROM activity_entries WHERE seq = :seq", seq=chained[2].seq
        )
        answer = await verdict(client, root)
        assert (answer["ok"], answer["first_bad"]) == (False, str(chained[3].id))

    async def test_a_deleted_last_entry_is_found_at_the_end(
        self, client: httpx.AsyncClient, root: Person, chained: list[Any], activity_db: Database
    ) -> None:
        last = chained[-1]
        await tamper(activity_db, "DELETE FROM activity_entries WHERE seq = :seq", seq=last.seq)
        answer = await verdict(client, root)
        assert (answer["ok"], answer["first_bad_seq"]) == (False, last.seq)

    async def test_two_swapped_entries_are_found_at_the_first(
        self, client: httpx.AsyncClient, root: Person, chained: list[Any], activity_db: Database
    ) -> None:
        first, second = chained[2], chained[5]
        await tamper(
            activity_db, "UPDATE activity_entries SET seq = -1 WHERE seq = :a", a=first.seq
        )
        await tamper(
            activity_db,
            "UPDATE activity_entries SET seq = :a WHERE seq = :b",
            a=first.seq,
            b=second.seq,
        )
        await tamper(
            activity_db, "UPDATE activity_entries SET seq = :b WHERE seq = -1", b=second.seq
        )
        answer = await verdict(client, root)
        assert (answer["ok"], answer["first_bad"]) == (False, str(second.id))


class TestAppendOnly:
    @pytest.mark.parametrize(
        "sql",
        ["UPDATE activity_entries SET summary = 'x'", "DELETE FROM activity_entries"],
    )
    async def test_postgresql_refuses_updates_and_deletes(
        self, chained: list[Any], activity_db: Database, backend: str, sql: str
    ) -> None:
        if backend != "postgres":
            pytest.skip("the trigger is PostgreSQL's; SQLite relies on the chain")
        with pytest.raises(DBAPIError, match="append-only"):
            async with activity_db.engine.begin() as conn:
                await conn.execute(text(sql))
        assert await count_entries(activity_db) == len(chained)


class TestRetention:
    async def test_the_chain_still_verifies_after_retention_and_new_entries(
        self,
        client: httpx.AsyncClient,
        root: Person,
        chained: list[Any],
        activity_db: Database,
        stack_app: FastAPI,
    ) -> None:
        async with activity_db.sessionmaker.begin() as session:
            deleted = await service.retain(session, days=0)
        assert deleted == len(chained)
        await some_entries(stack_app, activity_db, root, 3)
        answer = await verdict(client, root)
        assert answer == {"ok": True, "entries": 3, "first_bad": None, "first_bad_seq": None}
        async with activity_db.sessionmaker() as session:
            checkpoint = await session.get(Checkpoint, chained[-1].seq)
        assert checkpoint is not None
        assert checkpoint.hash == chained[-1].hash

    async def test_a_changed_entry_after_the_cut_is_still_found(
        self,
        client: httpx.AsyncClient,
        root: Person,
        chained: list[Any],
        activity_db: Database,
        stack_app: FastAPI,
    ) -> None:
        async with activity_db.sessionmaker.begin() as session:
            await service.retain(session, days=0)
        await some_entries(stack_app, activity_db, root, 2)
        kept = await entries(activity_db)
        await tamper(
            activity_db,
            "UPDATE activity_entries SET actor_label = 'x' WHERE seq = :seq",
            seq=kept[0].seq,
        )
        answer = await verdict(client, root)
        assert (answer["ok"], answer["first_bad"]) == (False, str(kept[0].id))

    async def test_nothing_recent_is_cut(self, chained: list[Any], activity_db: Database) -> None:
        async with activity_db.sessionmaker.begin() as session:
            assert await service.retain(session, days=400) == 0
        assert await count_entries(activity_db) == len(chained)


class TestVerifyAccess:
    async def test_only_a_system_administrator_verifies(
        self, client: httpx.AsyncClient, chained: list[Any], root: Person
    ) -> None:
        ann = await signed_up(client, "ann")
        assert_problem(await client.get(VERIFY, headers=ann.headers), 403)

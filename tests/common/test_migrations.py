from pathlib import Path
from typing import Any

import pytest

from tasksync import stack
from tasksync.common import migrations
from tasksync.common.db import Database, model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.known_users import KnownUsers
from tasksync.common.room_roles import RoomRoleReplica


@pytest.mark.parametrize("service", list(stack.SERVICES))
async def test_migrations_build_exactly_the_tables_the_models_declare(
    service: str, backend_settings: dict[str, Any]
) -> None:
    metadata = stack.definition(service).metadata
    db = await Database.open(stack.settings_for(service, **backend_settings).database_url(service))
    try:
        assert await migrations.drift(db, metadata) == []
    finally:
        await db.close()


async def test_a_new_services_first_revision_builds_its_kit_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tasksync revision NEW --kit-tables`: the generated revision alone migrates a new
    service's event tables and replicas to exactly what its models declare."""
    package = tmp_path / "newservice"
    (package / "migrations" / "versions").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    metadata = model_base().metadata
    add_event_tables(metadata)
    RoomRoleReplica(metadata)
    KnownUsers(metadata)
    written = migrations.write_kit_tables_revision("newservice", metadata, "kit tables")
    assert written.parent == package / "migrations" / "versions"
    with pytest.raises(ValueError, match="revisions already"):
        migrations.write_kit_tables_revision("newservice", metadata, "again")
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    try:
        await migrations.upgrade(db, "newservice", metadata)
        assert await migrations.drift(db, metadata) == []
    finally:
        await db.close()

from typing import Any

import pytest

from tasksync import stack
from tasksync.common import migrations
from tasksync.common.db import Database


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

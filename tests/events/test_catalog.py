from pathlib import Path

from tasksync.cli.events import render_catalog
from tasksync.common.events.catalog import CATALOG

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_event_catalog_document_is_up_to_date() -> None:
    assert DOC.read_text() == render_catalog(), (
        "run `tasksync events catalog` and commit docs/events.md"
    )


def test_every_user_event_is_registered_with_its_producer() -> None:
    users = {name for name, spec in CATALOG.items() if spec.producer == "users"}
    assert users == {
        "user.registered",
        "user.updated",
        "user.deactivated",
        "user.reactivated",
        "user.deleted",
    }

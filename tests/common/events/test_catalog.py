from pathlib import Path

import pytest

from tasksync import contracts
from tasksync.cli.events import render_catalog
from tasksync.common.events.catalog import CATALOG, build_catalog
from tasksync.contracts.events import EventData
from tasksync.contracts.users import UserRegistered

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"


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
        "user.signed_in",
        "user.sign_in_failed",
        "user.signed_out",
        "user.password_changed",
        "user.token_reuse_detected",
        "user.admin_granted",
        "user.admin_removed",
        "user.email_verification_requested",
        "user.email_verified",
        "user.email_removed",
        "user.password_reset_requested",
    }


def test_every_payload_model_of_the_contracts_is_in_the_catalog() -> None:
    """The catalog is listed by hand (no registration by import): none may be forgotten."""
    declared = {
        model
        for module in (
            contracts.rooms,
            contracts.tasks,
            contracts.users,
            contracts.comments,
            contracts.files,
            contracts.notifications,
        )
        for model in vars(module).values()
        if isinstance(model, type) and issubclass(model, EventData) and model is not EventData
    }
    assert declared == set(contracts.EVENT_TYPES)
    assert {spec.model for spec in CATALOG.values()} == declared


def test_a_type_name_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        build_catalog((UserRegistered, UserRegistered))

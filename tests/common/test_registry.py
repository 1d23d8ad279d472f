"""The registry is the one list of services: routes, ports and definitions follow from it."""

import pytest
from fastapi.routing import APIRoute
from starlette.routing import WebSocketRoute

from tasksync import stack
from tasksync.common import registry

# Routes every app serves for itself, not under a public prefix (nor `/internal/`, which
# services call one another on and the gateway never routes).
OWN_ROUTES = {"/health", "/ready", "/metrics"}


@pytest.mark.parametrize("service", registry.NAMES)
def test_every_public_route_of_a_service_is_routed_to_that_service(service: str) -> None:
    app = stack.build_service(service)
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, APIRoute | WebSocketRoute)
        and route.path not in OWN_ROUTES
        and not route.path.startswith("/internal/")
    ]
    assert paths
    misrouted = {path: registry.owner(path) for path in paths if registry.owner(path) != service}
    assert not misrouted, f"routes the gateway would send elsewhere: {misrouted}"


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/api/v1/rooms/0193/tasks", "tasks"),
        ("/api/v1/rooms/0193/tasks/", "tasks"),
        ("/api/v1/rooms/0193", "rooms"),
        ("/api/v1/rooms", "rooms"),
        ("/api/v1/tasks/0193", "tasks"),
        ("/api/v1/admin/users/0193", "users"),
        ("/api/v1/auth/login", "users"),
        ("/.well-known/jwks.json", "users"),
        ("/api/v1/overview", "gateway"),
        ("/api/v1/roomsx", None),
        ("/api/v1/rooms//tasks", "rooms"),
        ("/api/v2/rooms", None),
    ],
)
def test_the_most_specific_prefix_owns_a_path(path: str, owner: str | None) -> None:
    assert registry.owner(path) == owner


def test_internal_routes_are_never_public() -> None:
    assert registry.owner("/internal/room-roles/revocations") is None


def test_who_keeps_a_replica_says_so_in_the_registry() -> None:
    """Rooms tells the registry's keepers of room roles when access is taken away."""
    for name in registry.NAMES:
        found = stack.definition(name)
        assert (found.room_roles is not None and name != "rooms") == (
            name in registry.keepers("room_roles")
        ), name
        assert (found.known_users is not None) == (name in registry.keepers("known_users")), name


def test_a_longer_prefix_is_never_shadowed_by_a_shorter_one() -> None:
    lengths = [len(prefix) for prefix, _ in registry.ROUTES]
    assert lengths == sorted(lengths, reverse=True)


def test_names_and_ports_are_unique_and_every_definition_is_found() -> None:
    assert len({spec.name for spec in registry.ALL}) == len(registry.ALL)
    assert len({spec.port for spec in registry.ALL}) == len(registry.ALL)
    for name in registry.NAMES:
        assert stack.definition(name).name == name
        for needed in registry.spec(name).depends_on:
            assert needed in registry.BY_NAME


def test_an_unknown_service_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="users"):
        registry.spec("nope")

"""Who may receive what: the rooms an account belongs to, asked where memberships live."""

from uuid import UUID

from tasksync.common.auth import Principal
from tasksync.common.errors import ServiceUnavailable
from tasksync.common.kit import Kit

PAGE = 200
# The most rooms one `subscribe` may name.
MAX_SUBSCRIBE = 200


async def rooms_of(kit: Kit, principal: Principal) -> set[UUID]:
    """Every room the account belongs to, from the rooms service (the authority), page by
    page with the account's own token."""
    client = kit.services.client("rooms")
    rooms: set[UUID] = set()
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": PAGE} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/v1/rooms", params=params, token=principal.token)
        if not response.ok:
            raise ServiceUnavailable("The rooms service could not list your rooms.")
        body = response.json()
        rooms.update(UUID(item["id"]) for item in body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return rooms


async def member_rooms(kit: Kit, principal: Principal, room_ids: set[UUID]) -> set[UUID]:
    """The rooms among `room_ids` the account belongs to (the replica, else rooms)."""
    source = kit.room_roles
    assert source is not None
    found: set[UUID] = set()
    async with kit.db.sessionmaker.begin() as session:
        for room_id in room_ids:
            role = await source.role(
                session, room_id=room_id, user_id=principal.id, token=principal.token
            )
            if role is not None:
                found.add(room_id)
    return found

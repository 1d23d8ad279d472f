"""Room roles and their order: what every service authorizes with."""

from typing import Literal

Role = Literal["viewer", "member", "admin", "owner"]

# Each role can do everything the roles below it can.
ROLES: tuple[Role, ...] = ("viewer", "member", "admin", "owner")
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

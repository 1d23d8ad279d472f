"""Request and response models of the rooms service."""

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from tasksync.common.schemas import Input
from tasksync.contracts.roles import Role
from tasksync.contracts.users import Username

# `owner` is never assigned through the members routes, only handed over (POST .../owner).
AssignableRole = Literal["viewer", "member", "admin"]

RoomName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=2000)]
JoinCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class RoomCreate(Input):
    name: RoomName
    description: Description | None = None


class RoomUpdate(Input):
    name: RoomName | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> Self:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class JoinIn(Input):
    code: JoinCode


class MemberAdd(Input):
    user_id: UUID | None = None
    username: Username | None = None
    role: AssignableRole = "member"

    @model_validator(mode="after")
    def _exactly_one_identity(self) -> Self:
        if (self.user_id is None) == (self.username is None):
            raise ValueError("give exactly one of user_id or username")
        return self


class MemberUpdate(Input):
    role: AssignableRole


class OwnerHandover(Input):
    user_id: UUID


class RoomRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    description: str | None
    # Only admins and the owner see the join code; it is null for viewers and members.
    code: str | None
    my_role: Role
    member_count: int
    created_at: datetime
    updated_at: datetime


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    room_id: UUID
    user_id: UUID
    # As the rooms service knows it; null for an account it has not heard of yet.
    username: str | None
    role: Role
    joined_at: datetime

"""Request and response models of the users service. No model here has a password hash."""

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")

Username = Annotated[
    str, StringConstraints(min_length=3, max_length=40, pattern=USERNAME_PATTERN.pattern)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Input):
    username: Username
    password: Password
    email: EmailStr | None = Field(default=None, max_length=254)
    full_name: FullName | None = None


class LoginIn(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshIn(Input):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ProfileUpdate(Input):
    username: Username | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    full_name: FullName | None = None
    password: Password | None = None
    current_password: Annotated[str, StringConstraints(max_length=128)] | None = None


class AccountDelete(Input):
    password: Annotated[str, AfterValidator(_not_blank), StringConstraints(max_length=128)]


class AdminUserUpdate(Input):
    is_active: bool | None = None
    is_admin: bool | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class PublicProfile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    username: str
    full_name: str | None
    created_at: datetime


class OwnProfile(PublicProfile):
    email: str | None
    is_admin: bool
    is_active: bool
    updated_at: datetime

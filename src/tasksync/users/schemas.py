"""Request and response models of the users service. No model here has a password hash."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tasksync.common.schemas import Input, NotBlank
from tasksync.contracts.users import Username

Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


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
    password: Annotated[str, NotBlank, StringConstraints(max_length=128)]


class AdminUserUpdate(Input):
    is_active: bool | None = None
    is_admin: bool | None = None


class VerifyEmailIn(Input):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordResetIn(Input):
    """`login`: a username or an e-mail address."""

    login: Annotated[str, StringConstraints(min_length=1, max_length=254)]


class PasswordResetConfirm(Input):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    new_password: Password


class Accepted(BaseModel):
    detail: str


class TokenPair(BaseModel):
    access_token: str
    # null for the web app's cookie session: the refresh token is in its HttpOnly cookie.
    refresh_token: str | None
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
    email_verified: bool
    is_admin: bool
    is_active: bool
    updated_at: datetime

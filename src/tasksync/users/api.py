from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response, status

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.openapi import with_etag
from tasksync.common.pagination import Page, Paging
from tasksync.common.schemas import Text
from tasksync.users import account_mail, service, session_cookie
from tasksync.users.dependencies import (
    Account,
    CheckedForm,
    CheckedLogin,
    ClientAddress,
    SystemAdmin,
    UsersRuntime,
)
from tasksync.users.schemas import (
    Accepted,
    AccountDelete,
    AdminUserUpdate,
    OwnProfile,
    PasswordResetConfirm,
    PasswordResetIn,
    ProfileUpdate,
    PublicProfile,
    RefreshIn,
    RegisterIn,
    TokenPair,
    VerifyEmailIn,
)

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users = APIRouter(prefix="/api/v1/users", tags=["users"])
admin = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])
jwks = APIRouter(tags=["auth"])

SearchPrefix = Annotated[Text | None, Query(alias="q", max_length=40)]


@auth.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    body: RegisterIn, session: DbSession, rt: UsersRuntime, address: ClientAddress
) -> OwnProfile:
    """Create an account."""
    user = await service.register(
        session, rt.hasher, rt.registrations, data=body, address=address, settings=rt.settings
    )
    return OwnProfile.model_validate(user)


OptionalRefresh = Annotated[RefreshIn | None, Body()]


def _answer(request: Request, response: Response, pair: TokenPair, rt: UsersRuntime) -> TokenPair:
    """The pair as JSON, or, for the web app's cookie session, the refresh token in the cookie."""
    if not session_cookie.wanted(request) or pair.refresh_token is None:
        return pair
    lifetime = rt.issuer.refresh_lifetime
    session_cookie.keep(
        response, request, pair.refresh_token, seconds=int(lifetime.total_seconds())
    )
    return pair.model_copy(update={"refresh_token": None})


@auth.post("/login", openapi_extra=with_etag(False))
async def login(
    checked: CheckedLogin,
    session: DbSession,
    rt: UsersRuntime,
    address: ClientAddress,
    request: Request,
    response: Response,
) -> TokenPair:
    """Sign in with a username and password; returns an access and a refresh token."""
    user = await service.authenticate(session, rt.guard, checked=checked, address=address)
    return _answer(request, response, await rt.issuer.issue(session, user), rt)


@auth.post("/token", include_in_schema=True)
async def token(
    checked: CheckedForm, session: DbSession, rt: UsersRuntime, address: ClientAddress
) -> TokenPair:
    """Sign in with the OAuth2 password form (what Swagger UI's Authorize button sends)."""
    user = await service.authenticate(session, rt.guard, checked=checked, address=address)
    return await rt.issuer.issue(session, user)


@auth.post("/refresh", openapi_extra=with_etag(False))
async def refresh(
    session: DbSession,
    rt: UsersRuntime,
    request: Request,
    response: Response,
    body: OptionalRefresh = None,
) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    token = session_cookie.refresh_token(request, body.refresh_token if body else None)
    return _answer(request, response, await rt.issuer.rotate(session, token), rt)


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=with_etag(False))
async def logout(
    session: DbSession,
    rt: UsersRuntime,
    request: Request,
    response: Response,
    body: OptionalRefresh = None,
) -> None:
    """Revoke a refresh token."""
    token = session_cookie.refresh_token(request, body.refresh_token if body else None)
    await rt.issuer.sign_out(session, token)
    if session_cookie.wanted(request):
        session_cookie.forget(response, request)


@auth.post("/verify-email")
async def verify_email(body: VerifyEmailIn, session: DbSession) -> OwnProfile:
    """Prove your e-mail address with the token of the message sent to it (single use,
    24 hours); from then on it receives notifications."""
    user = await account_mail.verify_email(session, token=body.token)
    return OwnProfile.model_validate(user)


@auth.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
async def password_reset(
    body: PasswordResetIn, session: DbSession, rt: UsersRuntime, address: ClientAddress
) -> Accepted:
    """Ask for a password reset link by username or e-mail; the answer is the same whether
    or not such an account exists."""
    await account_mail.request_reset(
        session, rt.settings, rt.resets, login=body.login, address=address
    )
    return Accepted(detail=account_mail.RESET_ACCEPTED)


@auth.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
async def password_reset_confirm(
    body: PasswordResetConfirm, session: DbSession, rt: UsersRuntime
) -> None:
    """Choose a new password with the token of the reset message (single use, 30 minutes);
    every session of the account is signed out."""
    await account_mail.confirm_reset(
        session, rt.hasher, rt.issuer, token=body.token, new_password=body.new_password
    )


@users.get("/me")
async def me(user: Account) -> OwnProfile:
    """Your own profile."""
    return OwnProfile.model_validate(user)


@users.patch("/me")
async def update_me(
    body: ProfileUpdate, user: Account, principal: CurrentUser, session: DbSession, rt: UsersRuntime
) -> OwnProfile:
    """Change your profile; changing the password needs `current_password` and signs out
    your other sessions."""
    user = await service.update_profile(
        session,
        rt.hasher,
        rt.issuer,
        user=user,
        changes=body,
        session_id=principal.session_id,
        settings=rt.settings,
    )
    return OwnProfile.model_validate(user)


@users.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(
    body: AccountDelete, user: Account, session: DbSession, rt: UsersRuntime
) -> None:
    """Delete your account (needs your password)."""
    await service.delete_account(session, rt.hasher, rt.issuer, user=user, password=body.password)


@users.get("")
async def search_users(
    _: Account, session: DbSession, paging: Paging, q: SearchPrefix = None
) -> Page[PublicProfile]:
    """Find people by the start of their username."""
    page = await service.search(session, prefix=q, page=paging)
    return Page[PublicProfile].model_validate(page, from_attributes=True)


@users.get("/{user_id}")
async def get_user(user_id: UUID, _: Account, session: DbSession) -> PublicProfile:
    """Someone's public profile."""
    return PublicProfile.model_validate(await service.get_user(session, user_id))


@admin.get("")
async def list_users(
    _: SystemAdmin, session: DbSession, paging: Paging, q: SearchPrefix = None
) -> Page[OwnProfile]:
    """Every account, with its status (system administrators only)."""
    page = await service.search(session, prefix=q, page=paging)
    return Page[OwnProfile].model_validate(page, from_attributes=True)


@admin.patch("/{user_id}")
async def update_user(
    user_id: UUID, body: AdminUserUpdate, me: SystemAdmin, session: DbSession, rt: UsersRuntime
) -> OwnProfile:
    """Deactivate or reactivate an account, grant or remove system administration."""
    user = await service.admin_update(session, rt.issuer, admin=me, user_id=user_id, changes=body)
    return OwnProfile.model_validate(user)


@jwks.get("/.well-known/jwks.json")
async def public_keys(session: DbSession, rt: UsersRuntime) -> dict:
    """The public keys that verify access tokens."""
    return await rt.keys.jwks(session)

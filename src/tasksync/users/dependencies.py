"""Typed dependencies of the users routes, defined once.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.errors import Forbidden
from tasksync.users import service
from tasksync.users.account_mail import ResetGuard
from tasksync.users.guards import LoginGuard, RegistrationGuard
from tasksync.users.keys import KeyRing
from tasksync.users.models import User
from tasksync.users.passwords import PasswordHasher
from tasksync.users.schemas import LoginIn
from tasksync.users.settings import UsersSettings
from tasksync.users.tokens import TokenIssuer


@dataclass(frozen=True)
class Runtime:
    """What the users service builds once at start-up and uses on every request."""

    hasher: PasswordHasher
    guard: LoginGuard
    registrations: RegistrationGuard
    keys: KeyRing
    issuer: TokenIssuer
    settings: UsersSettings
    resets: ResetGuard


async def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _account(session: DbSession, principal: CurrentUser) -> User:
    return await service.account(session, principal)


async def _admin(user: Annotated[User, Depends(_account)]) -> User:
    if not user.is_admin:
        raise Forbidden("Only system administrators may do this.")
    return user


UsersRuntime = Annotated[Runtime, Depends(_runtime)]
ClientAddress = Annotated[str, Depends(client_address)]


# A sign-in's password is checked in a dependency declared before its `DbSession`: FastAPI
# solves them in order, so the hash (and any wait for a hashing turn) holds no connection.
async def _check(
    request: Request, rt: Runtime, address: str, username: str, password: str
) -> service.PasswordCheck:
    db = request.app.state.kit.db
    return await service.check_password(
        db, rt.hasher, rt.guard, username=username, password=password, address=address
    )


async def _checked_login(
    body: LoginIn, request: Request, rt: UsersRuntime, address: ClientAddress
) -> service.PasswordCheck:
    return await _check(request, rt, address, body.username, body.password)


async def _checked_form(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    rt: UsersRuntime,
    address: ClientAddress,
) -> service.PasswordCheck:
    return await _check(request, rt, address, form.username, form.password)


CheckedLogin = Annotated[service.PasswordCheck, Depends(_checked_login)]
CheckedForm = Annotated[service.PasswordCheck, Depends(_checked_form)]
Account = Annotated[User, Depends(_account)]
SystemAdmin = Annotated[User, Depends(_admin)]

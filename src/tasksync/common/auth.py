"""Access-token verification, done locally by every service with the users service's keys.

Tokens are EdDSA JWTs. Public keys come from the users service's JWKS, fetched once and cached;
a token naming an unknown `kid` triggers a refresh (at most one per cooldown). Verified
tokens are cached until they expire, so a hot path pays for the signature check once.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from tasksync.common.errors import Unauthorized
from tasksync.common.revocations import Revocations

ISSUER = "tasksync-users"
AUDIENCE = "tasksync"
ALGORITHM = "EdDSA"
TOKEN_URL = "/api/v1/auth/token"

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, as its access token says, and the token itself (to call other services
    on the caller's behalf)."""

    id: UUID
    username: str
    session_id: str
    issued_at: float
    expires_at: int
    token: str


class TokenVerifier:
    def __init__(
        self, fetch_jwks: JwksFetcher, *, refresh_cooldown: float = 1.0, cache_size: int = 20_000
    ) -> None:
        self._fetch_jwks = fetch_jwks
        self._keys: dict[str, Any] = {}
        self._refreshed_at = float("-inf")
        self._cooldown = refresh_cooldown
        self._lock = asyncio.Lock()
        self._verified: dict[str, Principal] = {}
        self._cache_size = cache_size

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached.expires_at > time.time():
            return cached
        principal = await self._verify_signature(token)
        if len(self._verified) >= self._cache_size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = principal
        return principal

    async def _verify_signature(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.") from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise Unauthorized("The access token is not signed the way TaskSync signs tokens.")
        key = self._keys.get(kid) or await self._refresh_for(kid)
        if key is None:
            raise Unauthorized("The access token is signed by an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "sid"]},
            )
            return Principal(
                id=UUID(claims["sub"]),
                username=str(claims.get("name", "")),
                session_id=str(claims["sid"]),
                issued_at=float(claims["iat"]),
                expires_at=int(claims["exp"]),
                token=token,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired; refresh it.") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("The access token is invalid.") from exc

    async def _refresh_for(self, kid: str) -> Any:
        arrived = time.monotonic()
        async with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if self._refreshed_at >= arrived:
                return None  # fetched while this token waited, and its key is not there
            # Tokens naming unknown keys cannot make us fetch more often than the cooldown;
            # a real new key (after a rotation) just waits for it.
            wait = self._cooldown - (time.monotonic() - self._refreshed_at)
            if wait > 0:
                await asyncio.sleep(wait)
            jwks = await self._fetch_jwks()
            self._refreshed_at = time.monotonic()
            self._keys = {
                k["kid"]: jwt.PyJWK(k, algorithm=ALGORITHM).key
                for k in jwks.get("keys", [])
                if "kid" in k
            }
            return self._keys.get(kid)


bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def authenticate(request: Request, token: str | None) -> Principal:
    """The caller of a request that came with this bearer token; 401 without a valid one,
    or with one whose session was signed out or whose account was revoked since."""
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    state = request.app.state
    principal = await state.verifier.verify(token)
    revocations: Revocations = state.revocations
    await revocations.check(
        user_id=principal.id, session_id=principal.session_id, issued_at=principal.issued_at
    )
    return principal


async def _current_user(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    return await authenticate(request, token)


CurrentUser = Annotated[Principal, Depends(_current_user)]

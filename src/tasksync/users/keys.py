"""The Ed25519 keys that sign access tokens: generated on first start, rotated on demand,
published as a JWKS. They live in the users database, never in the repository."""

import base64
import hashlib
from datetime import timedelta
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import ALGORITHM
from tasksync.common.clock import utcnow
from tasksync.users import queries
from tasksync.users.models import SigningKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _new_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw_public)}
    kid = _b64(hashlib.sha256(orjson.dumps(jwk, option=orjson.OPT_SORT_KEYS)).digest())[:22]
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(
        kid=kid, private_pem=pem, public_jwk={**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}
    )


class KeyRing:
    """Reads signing keys from the database; parsed private keys are kept in memory."""

    def __init__(self, token_lifetime: timedelta) -> None:
        self._token_lifetime = token_lifetime
        self._parsed: dict[str, Any] = {}

    async def ensure_key(self, session: AsyncSession) -> None:
        if await self._active(session) is None:
            session.add(_new_key())

    async def rotate(self, session: AsyncSession) -> str:
        await queries.retire_keys(session)
        key = _new_key()
        session.add(key)
        # Keys retired long enough ago that no token they signed is still valid go away.
        horizon = utcnow() - self._token_lifetime - timedelta(minutes=5)
        await queries.forget_keys_retired_before(session, horizon)
        return key.kid

    async def signing_key(self, session: AsyncSession) -> tuple[str, Any]:
        key = await self._active(session)
        if key is None:
            key = _new_key()
            session.add(key)
        if key.kid not in self._parsed:
            self._parsed[key.kid] = serialization.load_pem_private_key(
                key.private_pem.encode(), password=None
            )
        return key.kid, self._parsed[key.kid]

    async def jwks(self, session: AsyncSession) -> dict[str, Any]:
        horizon = utcnow() - self._token_lifetime - timedelta(minutes=5)
        return {"keys": await queries.public_keys(session, retired_after=horizon)}

    async def _active(self, session: AsyncSession) -> SigningKey | None:
        return await queries.active_key(session)

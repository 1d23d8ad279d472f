"""Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, one per valid secret, space-separated."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], *, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_
        ),
        "content-type": "application/json",
        "user-agent": "TaskSync-Webhooks/1",
    }


def verify(
    secret: str, *, headers: dict[str, str], body: bytes, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (docs/api.md shows the same in ten lines)."""
    timestamp = int(headers["webhook-timestamp"])
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, msg_id=headers["webhook-id"], timestamp=timestamp, body=body)
    return any(
        hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split()
    )

"""The live protocol's close codes and the messages the server sends (docs/realtime.md)."""

from typing import Any
from uuid import UUID

import orjson

# No valid `auth` in time, a bad or expired token: sign in (or refresh) and reconnect.
AUTH_FAILED = 4401
# The account was deactivated or deleted.
ACCOUNT_CLOSED = 4403
# The client fell behind (its send queue filled up): reconnect and resume.
TOO_SLOW = 4008
# A message too large, too frequent or not understood; too many sockets of one account.
POLICY = 1008
# The server cannot serve right now (its Redis is unreachable): reconnect later and resume.
TRY_AGAIN = 1013
# The replica is shutting down: reconnect (to another replica) and resume.
RESTARTING = 1012


def dump(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def event_message(room_id: UUID | str, seq: int, event_json: str) -> str:
    """The pushed event; `event_json` is serialized once for every socket."""
    return f'{{"type":"event","room_id":"{room_id}","seq":{seq},"event":{event_json}}}'


def unsubscribed(room_id: UUID, reason: str) -> str:
    return dump({"type": "unsubscribed", "room_id": str(room_id), "reason": reason})


def reset(room_id: UUID) -> str:
    return dump({"type": "reset", "room_id": str(room_id)})


def error(detail: str, **extra: Any) -> str:
    return dump({"type": "error", "detail": detail, **extra})

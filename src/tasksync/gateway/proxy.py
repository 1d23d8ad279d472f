"""Forwards one HTTP request to a service over aiohttp, streaming both bodies."""

from collections.abc import AsyncIterator

import aiohttp
import structlog
from multidict import CIMultiDict
from starlette.types import Receive, Scope, Send
from yarl import URL

from tasksync.common.client import IDEMPOTENT, ReplicaSet
from tasksync.common.errors import GatewayTimeout, ServiceUnavailable

log = structlog.get_logger("tasksync.gateway.proxy")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
# Bodies (both ways) up to this size are read whole and sent at once; larger ones stream.
BUFFER_LIMIT = 256 * 1024


async def _stream(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        if chunk := message.get("body", b""):
            yield chunk
        if not message.get("more_body", False):
            return


async def _read_all(receive: Receive) -> bytes:
    return b"".join([chunk async for chunk in _stream(receive)])


async def forward(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    service: str,
    replicas: ReplicaSet,
    session: aiohttp.ClientSession,
    timeout: aiohttp.ClientTimeout,
) -> None:
    headers: CIMultiDict[str] = CIMultiDict()
    length: int | None = None
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name in HOP_BY_HOP:
            continue
        if name == "content-length":
            length = int(raw_value) if raw_value.isdigit() else None
        headers.add(name, raw_value.decode("latin-1"))
    body: bytes | AsyncIterator[bytes] | None = None
    if length is not None and length <= BUFFER_LIMIT:
        body = await _read_all(receive) if length else None
    elif scope["method"] not in ("GET", "HEAD"):
        headers.popall("content-length", None)
        body = _stream(receive)

    target = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
    if scope["query_string"]:
        target += "?" + scope["query_string"].decode("latin-1")
    *others, last = replicas.order()
    for base_url in others:
        try:
            await _send_to(
                URL(base_url + target, encoded=True),
                scope,
                send,
                headers,
                body,
                session,
                timeout,
                service,
            )
            return
        except _Unreached:
            replicas.failed(base_url)  # try the next replica
    try:
        await _send_to(
            URL(last + target, encoded=True), scope, send, headers, body, session, timeout, service
        )
    except _Unreached as exc:
        replicas.failed(last)
        log.warning("service_unreachable", service=service, error=str(exc.__cause__))
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc


class _Unreached(Exception):
    """The request never reached a live replica (or may safely be sent again)."""


async def _send_to(
    url: URL,
    scope: Scope,
    send: Send,
    headers: CIMultiDict[str],
    body: bytes | AsyncIterator[bytes] | None,
    session: aiohttp.ClientSession,
    timeout: aiohttp.ClientTimeout,
    service: str,
) -> None:
    started = False
    try:
        async with session.request(
            scope["method"], url, headers=headers, data=body, timeout=timeout, allow_redirects=False
        ) as resp:
            response_headers = [
                (name.lower(), value)
                for name, value in resp.raw_headers
                if name.decode("latin-1").lower() not in HOP_BY_HOP
            ]
            await send(
                {"type": "http.response.start", "status": resp.status, "headers": response_headers}
            )
            started = True
            if resp.content_length is not None and resp.content_length <= BUFFER_LIMIT:
                await send({"type": "http.response.body", "body": await resp.read()})
                return
            async for chunk in resp.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except aiohttp.ClientConnectorError as exc:
        raise _Unreached from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        # A pooled connection to a replica that just died. Safe to send again elsewhere
        # only when the method is idempotent and the body was not streamed away.
        if not started and scope["method"] in IDEMPOTENT and not isinstance(body, AsyncIterator):
            raise _Unreached from exc
        if started:
            raise
        log.warning("service_failed", service=service, error=str(exc))
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc
    except TimeoutError as exc:
        if started:
            raise
        raise GatewayTimeout(f"The {service} service did not answer in time.") from exc
    except aiohttp.ClientError as exc:
        if started:
            raise
        log.warning("service_failed", service=service, error=str(exc))
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc

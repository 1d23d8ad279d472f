"""Forwards one HTTP request to a service, streaming both bodies (see upstream.py)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from starlette.types import Receive, Scope, Send
from yarl import URL

from tasksync.common.client import IDEMPOTENT, ReplicaSet
from tasksync.common.errors import GatewayTimeout, ServiceUnavailable
from tasksync.gateway.upstream import NoAnswer, NotSent, Response, UpstreamPool

log = structlog.get_logger("tasksync.gateway.proxy")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# A service's own `date` is dropped: the gateway's server sets one (and never a `server`).
NOT_PASSED_BACK = HOP_BY_HOP | {b"date", b"server"}
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
    pool: UpstreamPool,
    timeout: float,
) -> None:
    lines = []
    length: int | None = None
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.lower()
        if name in HOP_BY_HOP:
            continue
        if name == b"content-length":
            length = int(raw_value) if raw_value.isdigit() else None
            continue
        lines.append(b"%s: %s\r\n" % (name, raw_value))
    body: bytes | AsyncIterator[bytes] | None = None
    if length is not None and length <= BUFFER_LIMIT:
        body = await _read_all(receive) if length else None
        if length:
            lines.append(b"content-length: %d\r\n" % len(body or b""))
    elif scope["method"] not in ("GET", "HEAD"):
        body = _stream(receive)
        lines.append(b"transfer-encoding: chunked\r\n")
    target = scope.get("raw_path") or scope["path"].encode()
    if scope["query_string"]:
        target += b"?" + scope["query_string"]
    request = _Request(scope["method"], target, b"".join(lines), body)
    *others, last = replicas.order()
    for base_url in others:
        try:
            await _send_to(base_url, request, send, pool, timeout, service)
            return
        except _Unreached:
            replicas.failed(base_url)  # try the next replica
    try:
        await _send_to(last, request, send, pool, timeout, service)
    except _Unreached as exc:
        replicas.failed(last)
        log.warning("service_unreachable", service=service, error=str(exc.__cause__))
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    target: bytes
    headers: bytes  # forwarded header lines, each ending in CRLF
    body: bytes | AsyncIterator[bytes] | None

    def head(self, host: bytes) -> bytes:
        return b"%s %s HTTP/1.1\r\nhost: %s\r\n%s\r\n" % (
            self.method.encode(),
            self.target,
            host,
            self.headers,
        )

    @property
    def may_resend(self) -> bool:
        """Sending it twice cannot do harm: idempotent, and its body was not streamed away."""
        return self.method in IDEMPOTENT and not isinstance(self.body, AsyncIterator)


class _Unreached(Exception):
    """The request never reached a live replica (or may safely be sent again)."""


async def _send_to(
    base_url: str,
    request: _Request,
    send: Send,
    pool: UpstreamPool,
    timeout: float,
    service: str,
) -> None:
    address = URL(base_url)
    host, port = address.host or "127.0.0.1", address.port or 80
    started = False
    try:
        async with asyncio.timeout(timeout):
            connection, response = await pool.request(
                host,
                port,
                request.head(f"{host}:{port}".encode()),
                request.body,
                retry_if_stale=request.may_resend,
            )
            try:
                headers = [(n, v) for n, v in response.headers if n not in NOT_PASSED_BACK]
                await send(
                    {"type": "http.response.start", "status": response.status, "headers": headers}
                )
                started = True
                if request.method == "HEAD":
                    connection.close()  # the parser would wait for a body that never comes
                    await send({"type": "http.response.body", "body": b""})
                    return
                await _send_body(response, send)
            except BaseException:
                connection.close()  # its answer was not read to the end: it cannot be reused
                raise
            pool.release(connection, (host, port))
    except NotSent as exc:
        raise _Unreached from exc
    except NoAnswer as exc:
        if request.may_resend:
            raise _Unreached from exc  # a replica that just died: the next one may answer
        log.warning("service_failed", service=service, error="closed without answering")
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc
    except TimeoutError as exc:
        if started:
            raise
        raise GatewayTimeout(f"The {service} service did not answer in time.") from exc
    except ConnectionError as exc:
        if started:
            raise
        log.warning("service_failed", service=service, error=str(exc))
        raise ServiceUnavailable(
            f"The {service} service is not reachable; try again shortly."
        ) from exc


async def _send_body(response: Response, send: Send) -> None:
    """A body up to BUFFER_LIMIT is gathered and sent at once; past that, every chunk goes
    on as it comes and nothing more is kept."""
    kept: list[bytes] = []
    size, streaming = 0, False
    async for chunk in response.chunks():
        if not streaming and size + len(chunk) <= BUFFER_LIMIT:
            kept.append(chunk)
            size += len(chunk)
            continue
        if not streaming:
            streaming = True
            await send({"type": "http.response.body", "body": b"".join(kept), "more_body": True})
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"" if streaming else b"".join(kept)})

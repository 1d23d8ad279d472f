"""`ServiceClient`: how one service calls another, whatever the mode.

Between processes the call goes over aiohttp's client (keep-alive pool, timeouts); in the
embedded stack it is a direct call into the other service's ASGI app, with no socket at all.
Either way the caller's request id travels along and failures become problem errors.
"""

import asyncio
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
from starlette.types import ASGIApp, Message

from tasksync.common.errors import GatewayTimeout, ServiceUnavailable
from tasksync.common.observability import current_request_id
from tasksync.common.settings import ServiceLinkSettings


class ServiceResponse:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Transport:
    async def send(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None
    ) -> ServiceResponse:
        raise NotImplementedError

    async def close(self) -> None:
        return None


IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ReplicaSet:
    """The replicas of one service: requests go round-robin, and a replica that refused a
    connection is skipped for a few seconds (unless every replica did)."""

    def __init__(self, urls: list[str], *, rest: float = 5.0) -> None:
        self.urls = urls
        self.rest = rest
        self._next = 0
        self._down_until: dict[str, float] = {}

    def order(self) -> list[str]:
        """Every replica, the one to try first at the head."""
        start = self._next % len(self.urls)
        self._next += 1
        rotated = self.urls[start:] + self.urls[:start]
        now = time.monotonic()
        up = [url for url in rotated if self._down_until.get(url, 0.0) <= now]
        return up + [url for url in rotated if url not in up]

    def failed(self, url: str) -> None:
        self._down_until[url] = time.monotonic() + self.rest


class HttpTransport(Transport):
    def __init__(
        self, replicas: ReplicaSet, session: aiohttp.ClientSession, timeout: float
    ) -> None:
        self.replicas = replicas
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None
    ) -> ServiceResponse:
        target = path + (f"?{query}" if query else "")
        *others, last = self.replicas.order()
        for base_url in others:
            try:
                return await self._send_to(base_url + target, method, headers, body)
            except aiohttp.ClientConnectorError:
                self.replicas.failed(base_url)  # never reached it: safe to try the next one
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if method not in IDEMPOTENT:
                    raise  # it may have been applied: do not send it twice
                self.replicas.failed(base_url)  # a pooled connection to a replica that died
        return await self._send_to(last + target, method, headers, body)

    async def _send_to(
        self, url: str, method: str, headers: dict[str, str], body: bytes | None
    ) -> ServiceResponse:
        async with self.session.request(
            method, url, headers=headers, data=body, timeout=self.timeout, allow_redirects=False
        ) as resp:
            content = await resp.read()
            return ServiceResponse(
                resp.status, {k.lower(): v for k, v in resp.headers.items()}, content
            )


class AsgiTransport(Transport):
    """Calls an ASGI app in this process as if a request had arrived over HTTP."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def send(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None
    ) -> ServiceResponse:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 0),
            "server": ("in-process", 80),
        }
        request_sent = False
        status = 500
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal request_sent
            if request_sent:
                await asyncio.Event().wait()  # a real client would now wait for disconnect
            request_sent = True
            return {"type": "http.request", "body": body or b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    response_headers[key.decode().lower()] = value.decode()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        async with asyncio.timeout(self.timeout):
            await self.app(scope, receive, send)
        return ServiceResponse(status, response_headers, b"".join(chunks))


class ServiceClient:
    def __init__(self, service: str, transport: Transport) -> None:
        self.service = service
        self.transport = transport

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> ServiceResponse:
        out = {"accept": "application/json", **(headers or {})}
        if (request_id := current_request_id()) is not None:
            out["x-request-id"] = request_id
        if token:
            out["authorization"] = f"Bearer {token}"
        body = None
        if json is not None:
            body = orjson.dumps(json)
            out["content-type"] = "application/json"
        query = urlencode(params, doseq=True) if params else ""
        try:
            return await self.transport.send(method, path, query, out, body)
        except TimeoutError as exc:
            raise GatewayTimeout(f"The {self.service} service did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            raise ServiceUnavailable(f"The {self.service} service is not reachable.") from exc

    async def get(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("GET", path, **kwargs)


class ServiceDirectory:
    """Finds a `ServiceClient` for a service: in-process apps first, else its URL."""

    def __init__(
        self, settings: ServiceLinkSettings, apps: Mapping[str, ASGIApp] | None = None
    ) -> None:
        self.settings = settings
        # Kept by reference: the embedded stack fills it after building the services.
        self.apps = apps if apps is not None else {}
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, ServiceClient] = {}
        self._replicas: dict[str, ReplicaSet] = {}

    def replicas(self, service: str) -> ReplicaSet:
        if service not in self._replicas:
            self._replicas[service] = ReplicaSet(self.settings.service_replicas(service))
        return self._replicas[service]

    def http_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=100, keepalive_timeout=30),
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
                # Services set no cookies, and a proxy must never keep one user's for another.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def client(self, service: str) -> ServiceClient:
        if service not in self._clients:
            transport: Transport
            if service in self.apps:
                transport = AsgiTransport(self.apps[service], self.settings.http_timeout)
            else:
                transport = HttpTransport(
                    self.replicas(service), self.http_session(), self.settings.http_timeout
                )
            self._clients[service] = ServiceClient(service, transport)
        return self._clients[service]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

"""The gateway's front door: find the owning service, check the token, hand the request on.

In the embedded stack the service's app is called directly (same process, no HTTP hop);
in distributed mode the request is proxied over HTTP. The rest of the gateway's own routes
(docs, health) fall through to its FastAPI app.
"""

from uuid import UUID

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasksync.common import registry
from tasksync.common.auth import TokenVerifier
from tasksync.common.errors import (
    DomainError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    problem_response,
)
from tasksync.gateway import proxy
from tasksync.gateway.overview import OverviewCache


def _bearer_token(scope: Scope) -> str | None:
    """The bearer token if an Authorization header is present ('' when it is not bearer)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return None


def with_client_address(scope: Scope) -> Scope:
    client = scope.get("client")
    address = client[0] if client else "unknown"
    headers = [(k, v) for k, v in scope["headers"] if k != b"x-forwarded-for"]
    headers.append((b"x-forwarded-for", address.encode()))
    return {**scope, "headers": headers}


READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Room for the multipart framing around an uploaded file.
UPLOAD_FRAMING_BYTES = 64 * 1024


def _capped(scope: Scope, receive: Receive, limit: int) -> Receive:
    """Refuses a body past `limit` bytes (413): at once when its Content-Length says so,
    else as soon as the bytes streamed through pass it. Nothing is buffered."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise PayloadTooLarge(f"The body may hold at most {limit} bytes.")
    seen = 0

    async def counting() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise PayloadTooLarge(f"The body may hold at most {limit} bytes.")
        return message

    return counting


def _forgetting_overview(send: Send, cache: OverviewCache, user_id: UUID) -> Send:
    """Drops the writer's cached overview just before their response goes out, so the next
    overview they ask for shows their change."""

    async def send_after_forgetting(message: Message) -> None:
        if message["type"] == "http.response.start":
            await cache.forget(user_id)
        await send(message)

    return send_after_forgetting


class ServiceDispatch:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/api/v1/", "/.well-known/")):
            await self.app(scope, receive, send)
            return
        try:
            await self._dispatch(scope, receive, send)
        except DomainError as exc:
            response = problem_response(
                exc.status, exc.slug, exc.title, exc.detail, headers=exc.headers
            )
            await response(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = registry.owner(scope["path"])
        if service is None:
            raise NotFound("No such resource.")
        state = scope["app"].state
        token = _bearer_token(scope)
        principal = None
        if token is not None:
            if not token:
                raise Unauthorized("Use 'Authorization: Bearer <access token>'.")
            verifier: TokenVerifier = state.verifier
            principal = await verifier.verify(token)
        if service == "gateway":
            await self.app(scope, receive, send)
            return
        if principal is not None and scope["method"] not in READS:
            send = _forgetting_overview(send, state.overview_cache, principal.id)
        scope = with_client_address(scope)
        if registry.spec(service).uploads and scope["method"] not in READS:
            receive = _capped(scope, receive, state.settings.files_max_bytes + UPLOAD_FRAMING_BYTES)
        mounted: dict[str, ASGIApp] = state.mounted
        if service in mounted:
            await mounted[service](scope, receive, send)
            return
        await proxy.forward(
            scope,
            receive,
            send,
            service=service,
            replicas=state.services.replicas(service),
            pool=state.upstream,
            timeout=state.settings.proxy_timeout,
        )

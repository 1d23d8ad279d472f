"""The security headers of every answer, added by one pure ASGI middleware.

Each header is added only when the answer does not carry it already: a page with a policy of
its own (the API docs) keeps it, and in distributed mode the gateway does not repeat what the
service behind it already sent.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    # JSON answers load nothing and are framed nowhere; the docs pages set their own.
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    # Answers are per caller and some carry tokens: none is for a cache to keep.
    (b"cache-control", b"no-store"),
)
ALWAYS_NAMES = frozenset(name for name, _ in ALWAYS)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # ASGI header names are lower-case (Starlette's and the proxy's are).
                headers = list(message.get("headers", ()))
                present = [name for name, _ in headers if name in ALWAYS_NAMES]
                if present:
                    headers.extend(header for header in ALWAYS if header[0] not in present)
                else:
                    headers.extend(ALWAYS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

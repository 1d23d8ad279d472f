"""An app whose WebSockets go straight to their route, past its middleware stack.

Every middleware of a TaskSync app (security headers, observability, FastAPI's error and
exception layers) passes a WebSocket through untouched, yet each layer's coroutine frame
lives as long as the socket does: with thousands of idle live-update sockets, the frames of
the gateway's stack and the service's were some 6 KB of the 34 each socket cost
(docs/performance.md, Live updates). A WebSocket scope is matched against the app's routes
here and handed to the endpoint; none matching closes it with 1008, as Starlette would.
"""

from fastapi import FastAPI
from starlette.routing import Match, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

POLICY_VIOLATION = 1008


class DirectWebSockets(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await self.websocket(scope, receive, send)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        for route in self.router.routes:
            if not isinstance(route, WebSocketRoute):
                continue
            match, found = route.matches(scope)
            if match is Match.FULL:
                scope.update(found)
                if type(route) is WebSocketRoute:  # a plain endpoint: nothing to inject
                    await route.endpoint(WebSocket(scope, receive, send))
                else:
                    await route.handle(scope, receive, send)
                return
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})

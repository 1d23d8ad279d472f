"""The route table: which service owns which public path. Most specific patterns first."""

import re

# "gateway" marks the routes the gateway answers itself (after the same edge checks).
ROUTES: tuple[tuple[str, str], ...] = (
    (r"/api/v1/overview$", "gateway"),
    (r"/api/v1/(auth|users|admin)(/|$)", "users"),
    (r"/api/v1/rooms/[^/]+/tasks(/|$)", "tasks"),
    (r"/api/v1/rooms(/|$)", "rooms"),
    (r"/api/v1/tasks(/|$)", "tasks"),
    (r"/\.well-known/jwks\.json$", "users"),
)


class RouteTable:
    def __init__(self, routes: tuple[tuple[str, str], ...] = ROUTES) -> None:
        self._routes = [(re.compile(pattern), service) for pattern, service in routes]
        self.services = tuple(dict.fromkeys(s for _, s in routes if s != "gateway"))

    def owner(self, path: str) -> str | None:
        for pattern, service in self._routes:
            if pattern.match(path):
                return service
        return None

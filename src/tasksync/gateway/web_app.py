"""The web app's files (`web/dist`, built by `make web`) served at `/`, in both modes.

Everything under `/api/` and `/.well-known/`, and the gateway's own routes (`/health`,
`/ready`, `/metrics`), keep their meaning: the web app only answers the GET and HEAD requests
left over. A path naming a built file gets that file: the hashed ones under `/assets/` are
cached for a year (their name changes with their content), the rest revalidated each time.
Any other path without a file extension is a route of the app (`/rooms/...`): it gets
`index.html`, and the app's router takes it from there. Every answer carries the app's
Content-Security-Policy: scripts and styles from this origin only, nothing inline, no eval.
"""

from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

import tasksync
from tasksync.common.errors import problem_response

# Scripts and styles only from files of this origin (no inline script, no eval); images from
# here or made in the page (blob: previews of attachments); the API and the live socket on
# this origin; never framed.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Internal paths (a service's /internal/...) stay 404 at the edge, never the app's page.
NEVER_THE_APP = ("/api/", "/.well-known/", "/internal/")


def default_root() -> Path:
    """`web/dist` of the source checkout TaskSync runs from."""
    return Path(tasksync.__file__).resolve().parents[2] / "web" / "dist"


class WebApp:
    """Serves the built web app for the GET and HEAD requests no route of the gateway takes."""

    def __init__(self, app: ASGIApp, root: Path | None = None) -> None:
        self.app = app
        self.root = (root or default_root()).resolve()
        self._own_paths: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._is_for_app(scope):
            await self.app(scope, receive, send)
            return
        response = self._response(scope["path"])
        await response(scope, receive, send)

    def _is_for_app(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        if path.startswith(NEVER_THE_APP) or path == "/api":
            return False
        if self._own_paths is None:
            routes = getattr(scope.get("app"), "routes", ())
            self._own_paths = frozenset(getattr(route, "path", "") for route in routes)
        return path not in self._own_paths

    def _response(self, path: str) -> Response:
        index = self.root / "index.html"
        if not index.is_file():
            return problem_response(
                404,
                "web-app-not-built",
                "Web app not built",
                "The web app is not built: run `make web` (or `make up`), then reload.",
            )
        found = self._file(path)
        if found is not None:
            immutable = path.startswith("/assets/")
            return self._file_response(found, IMMUTABLE if immutable else REVALIDATE)
        if "." in path.rsplit("/", 1)[-1]:
            # A missing file (an old asset, a typo): not the app's page.
            return problem_response(404, "not-found", "Not found", "No such file.")
        return self._file_response(index, REVALIDATE)

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative or any(part.startswith(".") for part in relative.split("/")):
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    @staticmethod
    def _file_response(path: Path, cache: str) -> FileResponse:
        return FileResponse(
            path,
            headers={"Cache-Control": cache, "Content-Security-Policy": POLICY},
        )

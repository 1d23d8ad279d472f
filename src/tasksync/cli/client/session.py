"""One signed-in conversation with a TaskSync server: the stored profile, the access token
refreshed transparently, and errors turned into what the commands report."""

import time
from typing import Any

import httpx

from tasksync.cli.client import profiles
from tasksync.cli.client.profiles import Profile

API = "/api/v1"


class ApiError(Exception):
    """The server answered with a problem (RFC 9457)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem


class ClientError(Exception):
    """Something the client itself cannot do: not signed in, no such room..."""


class Unreachable(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


def problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"title": response.reason_phrase or "Error", "status": response.status_code}


def _not_signed_in(url: str) -> "ClientError":
    return ClientError(f"Not signed in to {url}. Run `tasksync login` (or `tasksync register`).")


class Session:
    def __init__(self, *, profile: str | None = None, url: str | None = None) -> None:
        self.saved = profiles.load()
        self.name = profiles.chosen_name(profile, self.saved)
        self.profile = self.saved.profiles.get(self.name) or Profile()
        self.url = profiles.resolve_url(url, self.profile)
        self.http = httpx.Client(base_url=self.url, timeout=30.0)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    @property
    def signed_in(self) -> bool:
        return self.profile.refresh_token is not None and self.profile.url == self.url

    def send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """Sends one request; with `auth`, signs it and, when the access token has expired,
        refreshes it once and sends it again."""
        if auth and not self.signed_in:
            raise _not_signed_in(self.url)
        response = self._send(method, path, auth=auth, **kwargs)
        if auth and response.status_code == 401:
            self._refresh()
            response = self._send(method, path, auth=auth, **kwargs)
        return response

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        """Sends a request and returns its JSON body (None for an empty one); a problem
        answer raises ApiError."""
        response = self.send(method, path, auth=auth, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.status_code, problem_of(response))
        return response.json() if response.content else None

    def open(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Sends one signed request and returns its answer unread, for streaming either way:
        the caller closes it. It is never sent twice (a streamed body cannot be), so make
        any other call first, which refreshes an expired access token; a problem answer
        raises ApiError."""
        if not self.signed_in:
            raise _not_signed_in(self.url)
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Authorization"] = f"Bearer {self.profile.access_token}"
        request = self.http.build_request(method, path, headers=headers, **kwargs)
        try:
            response = self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            problem = {"title": response.reason_phrase or "Error"}
            try:
                response.read()
                problem = problem_of(response)
            except httpx.TransportError:
                pass  # the status alone says what happened
            finally:
                response.close()
            raise ApiError(response.status_code, problem)
        return response

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """Every item of a paged list, page after page."""
        query = dict(params or {})
        while True:
            page = self.call("GET", path, params=query)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        tokens = self.call(
            "POST",
            f"{API}/auth/login",
            auth=False,
            json={"username": username, "password": password},
        )
        self.profile = Profile(url=self.url, username=username)
        self._keep(tokens)
        self.saved.current = self.name
        profiles.save(self.saved)
        return tokens

    def sign_out(self) -> None:
        if self.profile.refresh_token:
            self.send(
                "POST",
                f"{API}/auth/logout",
                auth=False,
                json={"refresh_token": self.profile.refresh_token},
            )
        self.profile.refresh_token = self.profile.access_token = None
        self._save()

    def _send(self, method: str, path: str, *, auth: bool, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.profile.access_token:
            headers.setdefault("Authorization", f"Bearer {self.profile.access_token}")
        try:
            return self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from exc

    def fresh_tokens(self) -> dict[str, Any]:
        """A new access token now, with `expires_at` (epoch seconds): for a long-lived
        connection that presents its token itself (`tasksync watch`)."""
        if not self.signed_in:
            raise _not_signed_in(self.url)
        tokens = self._refresh()
        return {**tokens, "expires_at": time.time() + int(tokens.get("expires_in", 900))}

    def _refresh(self) -> dict[str, Any]:
        response = self._send(
            "POST",
            f"{API}/auth/refresh",
            auth=False,
            json={"refresh_token": self.profile.refresh_token},
        )
        if response.status_code != 200:
            self.profile.refresh_token = self.profile.access_token = None
            self._save()
            raise ClientError(
                f"Your session on {self.url} has ended. Run `tasksync login` to sign in again."
            )
        tokens: dict[str, Any] = response.json()
        self._keep(tokens)
        return tokens

    def _keep(self, tokens: dict[str, Any]) -> None:
        self.profile.access_token = tokens["access_token"]
        self.profile.refresh_token = tokens["refresh_token"]
        self._save()

    def _save(self) -> None:
        self.saved.profiles[self.name] = self.profile
        profiles.save(self.saved)

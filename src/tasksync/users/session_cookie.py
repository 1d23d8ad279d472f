"""The web app's sign-in session: the refresh token in an HttpOnly cookie.

A browser asks for it with the `X-TaskSync-Session: cookie` header on `login` or `refresh`:
the refresh token then travels only in the `tasksync_refresh` cookie (HttpOnly, so no page
script can read it; SameSite=Strict; limited to `/api/v1/auth`; Secure behind HTTPS), and the
JSON answer carries the access token alone (kept in memory by the page). `refresh` and
`logout` without a body take the token from the cookie, and only with that same header: a
custom header cannot be sent by another site's form or without a CORS preflight, so a
forged cross-site request never uses the cookie (CSRF). Other clients send and receive the
refresh token in JSON as before.

Beside it, `tasksync_session=1` (no secret, readable by the page, on every path) only tells
the page that a session cookie exists, so a page opened signed out does not ask for a
refresh it knows will be refused.
"""

from fastapi import Request, Response

from tasksync.common.errors import Unauthorized

COOKIE = "tasksync_refresh"
MARKER = "tasksync_session"
PATH = "/api/v1/auth"
HEADER = "x-tasksync-session"


def wanted(request: Request) -> bool:
    """Whether the caller asked for the cookie session (and so may use the cookie)."""
    return request.headers.get(HEADER, "").lower() == "cookie"


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def keep(response: Response, request: Request, refresh_token: str, *, seconds: int) -> None:
    response.set_cookie(
        COOKIE,
        refresh_token,
        max_age=seconds,
        path=PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        MARKER, "1", max_age=seconds, path="/", secure=_secure(request), samesite="strict"
    )


def forget(response: Response, request: Request) -> None:
    secure = _secure(request)
    response.delete_cookie(COOKIE, path=PATH, secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(MARKER, path="/", secure=secure, samesite="strict")


def refresh_token(request: Request, sent: str | None) -> str:
    """The refresh token sent in the body, else the cookie's (only with the header)."""
    if sent:
        return sent
    token = request.cookies.get(COOKIE) if wanted(request) else None
    if not token:
        raise Unauthorized("Send the refresh token, or sign in again.")
    return token

"""Browser cookies for the session: HttpOnly tokens and the readable CSRF token.

The auth service sets them at sign-in and refresh; any page may clear them.
"""

from __future__ import annotations

from typing import Protocol

from starlette.responses import Response

from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import CookieNames


class SessionTokens(Protocol):
    access_token: str
    refresh_token: str
    csrf_token: str
    expires_in: int
    refresh_expires_in: int


def set_session_cookies(response: Response, tokens: SessionTokens, settings: Settings) -> None:
    names = CookieNames(settings.secure_cookies)
    cookies = (
        # (name, value, lifetime, HttpOnly, SameSite)
        (names.access, tokens.access_token, tokens.expires_in, True, "lax"),
        (names.refresh, tokens.refresh_token, tokens.refresh_expires_in, True, "strict"),
        # Readable by the page's own scripts, which echo it in X-CSRF-Token.
        (names.csrf, tokens.csrf_token, tokens.refresh_expires_in, False, "strict"),
    )
    for name, value, max_age, httponly, samesite in cookies:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=names.secure,
            httponly=httponly,
            samesite=samesite,  # type: ignore[arg-type]
        )


def set_access_cookie(response: Response, token: str, max_age: int, settings: Settings) -> None:
    """A new access token for the same session (a platform switch)."""
    names = CookieNames(settings.secure_cookies)
    response.set_cookie(
        names.access,
        token,
        max_age=max_age,
        path="/",
        secure=names.secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    names = CookieNames(settings.secure_cookies)
    for name in (names.access, names.refresh, names.csrf):
        response.delete_cookie(name, path="/", secure=names.secure, httponly=True)

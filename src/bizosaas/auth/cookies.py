"""Browser cookies for the session: HttpOnly tokens and the readable CSRF token."""

from __future__ import annotations

from starlette.responses import Response

from bizosaas.auth.schemas import TokenPair
from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import CookieNames


def set_session_cookies(response: Response, tokens: TokenPair, settings: Settings) -> None:
    names = CookieNames(settings.secure_cookies)
    common = {"path": "/", "secure": names.secure}
    response.set_cookie(
        names.access,
        tokens.access_token,
        max_age=tokens.expires_in,
        httponly=True,
        samesite="lax",
        **common,  # type: ignore[arg-type]
    )
    response.set_cookie(
        names.refresh,
        tokens.refresh_token,
        max_age=tokens.refresh_expires_in,
        httponly=True,
        samesite="strict",
        **common,  # type: ignore[arg-type]
    )
    # Readable by the page's own scripts, which echo it in X-CSRF-Token.
    response.set_cookie(
        names.csrf,
        tokens.csrf_token,
        max_age=tokens.refresh_expires_in,
        httponly=False,
        samesite="strict",
        **common,  # type: ignore[arg-type]
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    names = CookieNames(settings.secure_cookies)
    for name in (names.access, names.refresh, names.csrf):
        response.delete_cookie(name, path="/", secure=names.secure, httponly=True)

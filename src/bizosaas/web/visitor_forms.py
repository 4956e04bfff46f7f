"""Forms for visitors who are not signed in (sign-in, sign-up, invitations, resets).

There is no session to tie a CSRF token to, so each form carries a random token that
also sits in a short-lived ``SameSite=Strict`` cookie (the double-submit pattern): another
site can neither read the cookie nor make the browser send it, so it cannot post one of
these forms in a visitor's name (and sign them in to an attacker's account, say).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from bizosaas.web.common import WebContext, web_of

TOKEN_TTL = 2 * 3600


def cookie_name(web: WebContext) -> str:
    return ("__Host-" if web.settings.secure_cookies else "") + "bizosaas_login_csrf"


def form_token(request: Request) -> str:
    """The visitor's token (a new one on a first visit)."""
    return request.cookies.get(cookie_name(web_of(request))) or secrets.token_urlsafe(32)


def keep_token(request: Request, response: Response, token: str) -> None:
    """Hand the visitor the cookie that goes with the token in the form."""
    web = web_of(request)
    response.set_cookie(
        cookie_name(web),
        token,
        max_age=TOKEN_TTL,
        path="/",
        secure=web.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def drop_token(request: Request, response: Response) -> None:
    web = web_of(request)
    response.delete_cookie(cookie_name(web), path="/", secure=web.settings.secure_cookies)


def genuine(request: Request, form: FormData) -> bool:
    """Whether the posted form's token is the visitor's own."""
    expected = request.cookies.get(cookie_name(web_of(request)), "")
    presented = str(form.get("csrf_token") or "")
    return bool(expected) and hmac.compare_digest(expected.encode(), presented.encode())

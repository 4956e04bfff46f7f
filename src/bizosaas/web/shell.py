"""The frame every signed-in page shares: header, navigation, notifications, platform
switch, sign-out, toasts; and the checks of a page's own forms.

A page's forms post to its own app with the session's CSRF token (the same token the
APIs take in ``X-CSRF-Token``; htmx sends it as that header on every request it makes),
and the app then calls the APIs through the gateway as the visitor. A form that comes
back refused is shown again with what was typed and the service's message next to the
field it names.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from bizosaas.identity.csrf import csrf_token_for
from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import CSRF_HEADER, Platform
from bizosaas.web.api import ApiError
from bizosaas.web.common import FormExpired, WebContext, render, web_of
from bizosaas.web.settings import is_local_path

PLATFORM_LABELS = {
    Platform.BIZOHOLIC.value: "Bizoholic",
    Platform.CORELDOVE.value: "CoreLDove",
    Platform.ADMIN.value: "BizOSaaS Admin",
}


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str


@dataclass(frozen=True)
class AppShell:
    """One app's frame: its name, home, sections and where its header's controls post."""

    name: str
    home: str
    nav: tuple[NavItem, ...]
    live_url: str | None = None
    notifications_href: str | None = None
    switch_href: str | None = None


@dataclass
class Flash:
    kind: str  # info, error
    text: str


@dataclass
class FormState:
    """What a person typed, and what was wrong with it (by field; "form" for the whole)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def refused(cls, values: Mapping[str, str], error: ApiError) -> FormState:
        errors = dict(error.fields) or {"form": error.detail}
        if error.fields and "form" not in errors:
            errors["form"] = error.detail
        return cls(dict(values), errors)


def csrf_of(web: WebContext, principal: Principal) -> str:
    return csrf_token_for(web.identity.csrf_secret, principal.session_id)


async def genuine_form(request: Request, principal: Principal) -> FormData:
    """The posted form, if it carries this session's CSRF token (as a field, or the header
    htmx sends); anything else is refused with 400 before it does anything."""
    web = web_of(request)
    form = await request.form()
    presented = str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or "")
    expected = csrf_of(web, principal)
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise FormExpired()
    return form


def fields_of(form: FormData) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def page(
    request: Request,
    shell: AppShell,
    principal: Principal,
    template: str,
    *,
    title: str,
    section: str,
    status_code: int = 200,
    unread: int | None = None,
    flash: Flash | None = None,
    **context: Any,
) -> HTMLResponse:
    """A signed-in page in its app's frame (htmx requests get the template alone)."""
    web = web_of(request)
    platforms = [
        (p, PLATFORM_LABELS.get(p, p)) for p in principal.allowed_platforms if p in PLATFORM_LABELS
    ]
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(
        web,
        template,
        status_code=status_code,
        app=shell,
        principal=principal,
        title=title,
        section=section,
        csrf_token=csrf_of(web, principal),
        unread=unread or 0,
        platforms=platforms,
        here=here,
        flash=flash,
        partial=request.headers.get("hx-request") == "true",
        **context,
    )


def back_to(target: str, fallback: str, note: str | None = None) -> RedirectResponse:
    """After a form: to ``target`` if it is a path below ``fallback`` on this site, else to
    ``fallback``; ``note`` names the confirmation the page shows."""
    if not (is_local_path(target) and target.startswith(fallback)):
        target = fallback
    if note:
        target += ("&" if "?" in target else "?") + "done=" + note
    return RedirectResponse(target, status_code=303)


async def switch_platform_of(request: Request, principal: Principal, home: str) -> Response:
    """The header's platform switch (SSO across platforms): the session moves to another of
    the visitor's platforms, with its new cookies, and the visitor comes back to the page."""
    form = fields_of(await genuine_form(request, principal))
    answer = (
        await web_of(request)
        .api(request)
        .send("POST", "/api/v1/auth/platform", json={"platform": form.get("platform", "")})
    )
    response = back_to(form.get("next", ""), home, "platform")
    for cookie in answer.headers.get_list("set-cookie"):
        response.headers.append("set-cookie", cookie)
    return response

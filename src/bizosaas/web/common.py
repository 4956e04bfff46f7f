"""Shared plumbing of the web apps: who is signed in, role checks, pages, the app factory.

A page asks for a role with ``Depends(require_role(...))``. An anonymous visitor,
or one whose session has ended, is sent to the login screen with ``?next=``; a
signed-in user of the wrong role gets a 403 page naming the role needed and a
link to their own landing page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.middleware.gzip import GZipMiddleware

from bizosaas.core.app import ReadinessCheck, create_service_app
from bizosaas.core.errors import Forbidden, Unauthorized
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.identity.principal import Principal
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.identity.vocabulary import CookieNames, Role
from bizosaas.web.api import ApiError, VisitorApi, open_gateway
from bizosaas.web.assets import Assets
from bizosaas.web.security import SecurityHeadersMiddleware, content_security_policy
from bizosaas.web.settings import WebLinks, WebSettings

ROLE_LABELS = {
    Role.USER: "Client",
    Role.TENANT_ADMIN: "Tenant administrator",
    Role.SUPER_ADMIN: "Super administrator",
}
LANDING_NAMES = {
    Role.USER: "client portal",
    Role.TENANT_ADMIN: "admin dashboard",
    Role.SUPER_ADMIN: "SQLAdmin",
}

templates = Environment(
    loader=PackageLoader("bizosaas.web", "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


def _moment(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _date(value: str | datetime | None) -> str:
    moment = _moment(value)
    return f"{moment:%-d %b %Y}" if moment else ""


def _datetime(value: str | datetime | None) -> str:
    moment = _moment(value)
    return f"{moment:%-d %b %Y, %H:%M} UTC" if moment else ""


def _number(value: float | int | str | None) -> str:
    if value is None or value == "":
        return "0"
    number = float(value)
    return f"{int(number):,}" if number == int(number) else f"{number:,.2f}"


# A reward ledger entry's status, in words (members and admins see the same ones).
REWARD_STATES = {
    "unapproved": "Awaiting approval",
    "pending": "Held",
    "available": "Available",
    "paid": "Paid",
    "reversed": "Clawed back",
}


def _reward_state(value: str) -> str:
    return REWARD_STATES.get(value, value)


templates.filters.update(date=_date, datetime=_datetime, number=_number, reward_state=_reward_state)


def render(
    web: WebContext, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page of this web app: its assets and the links between the apps come with it."""
    html = templates.get_template(template).render(asset=web.assets.url, links=web.links, **context)
    return HTMLResponse(html, status_code=status_code)


@dataclass
class WebContext:
    """What every web app holds for its lifetime."""

    settings: Settings
    links: WebLinks
    runtime: Runtime
    identity: IdentityResolver
    assets: Assets
    gateway: httpx.AsyncClient

    def api(self, request: Request) -> VisitorApi:
        """The platform's APIs, through the gateway, as this request's visitor."""
        return VisitorApi(self.gateway, request, self.settings)

    @property
    def cookies(self) -> CookieNames:
        return CookieNames(self.settings.secure_cookies)

    async def principal_of(self, request: Request) -> Principal | None:
        """The verified caller, or ``None`` if anonymous or the session has ended."""
        # Pages check their own forms' CSRF tokens; an API key is no way into a page.
        presented = self.identity.presented(request.headers)
        if presented.token is None:
            return None
        try:
            identity = await self.identity.resolve(
                request.method, presented, accept_api_keys=False, check_csrf=False
            )
        except (Unauthorized, Forbidden):  # ended, or its tenant suspended: sign in again
            return None
        principal = identity.principal
        assert principal is not None
        request.state.user_id = str(principal.user_id)
        request.state.tenant_id = str(principal.tenant_id) if principal.tenant_id else None
        return principal

    def signout_token(self, request: Request) -> str:
        """The session's CSRF token, which the sign-out form must carry."""
        return request.cookies.get(self.cookies.csrf, "")

    def send_to_login(self, request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.cookies.get(self.cookies.refresh) and request.method in ("GET", "HEAD"):
            # The access token expired but the session may live on: renew, then come back.
            return RedirectResponse(self.links.refresh_redirect(target), status_code=303)
        return RedirectResponse(self.links.login_redirect(target), status_code=303)

    def wrong_role_page(
        self, request: Request, principal: Principal, allowed: Sequence[Role]
    ) -> HTMLResponse:
        needed = " or ".join(ROLE_LABELS[role].lower() for role in allowed)
        return render(
            self,
            "message.html",
            status_code=403,
            title="Not available to your role",
            lines=[
                f"This page is for the {needed} role.",
                f"You are signed in as {principal.email} ({ROLE_LABELS[principal.role].lower()}).",
            ],
            link_href=self.links.landing[principal.role],
            link_text=f"Go to your {LANDING_NAMES[principal.role]}",
            signout_token=self.signout_token(request),
        )


def web_of(request: Request) -> WebContext:
    return web_of_app(request.app)


def web_of_app(app: FastAPI) -> WebContext:
    web: WebContext = app.state.web
    return web


class LoginRequired(Exception):
    """Raised by a page guard; answered with a redirect to the login screen."""


class FormExpired(Exception):
    """A form without this session's CSRF token: an old tab, or another site's doing."""


class WrongRole(Exception):
    def __init__(self, principal: Principal, allowed: Sequence[Role]) -> None:
        super().__init__(principal.role)
        self.principal = principal
        self.allowed = tuple(allowed)


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    async def guard(request: Request) -> Principal:
        principal = await web_of(request).principal_of(request)
        if principal is None:
            raise LoginRequired()
        if principal.role not in roles:
            raise WrongRole(principal, roles)
        return principal

    return guard


def greeting_page(
    request: Request, principal: Principal, title: str, status_code: int = 200
) -> HTMLResponse:
    web = web_of(request)
    return render(
        web,
        "greeting.html",
        status_code=status_code,
        title=title,
        principal=principal,
        role_label=ROLE_LABELS[principal.role],
        permissions=sorted(principal.permissions),
        platforms=list(principal.allowed_platforms),
        signout_token=web.signout_token(request),
    )


_EXPIRED = ["Your session changed since the page was opened. Go back, reload and try again."]
_UNAVAILABLE = "The platform is not answering right now. Please try again in a moment."


def _message(request: Request, status_code: int, title: str, lines: list[str]) -> HTMLResponse:
    web = web_of(request)
    return render(
        web,
        "message.html",
        status_code=status_code,
        title=title,
        lines=lines,
        link_href=request.url.path if status_code >= 500 else None,
        link_text="Try again",
        signout_token=None,
    )


ExtraLifespan = Callable[[FastAPI, WebContext], AbstractAsyncContextManager[None]]


def create_web_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: Settings,
    web_settings: WebSettings | None = None,
    routers: Sequence[APIRouter] = (),
    prefix: str,
    scripts: bool = False,
    database_url: str | None = None,
    extra_lifespan: ExtraLifespan | None = None,
    extra_readiness: Callable[[FastAPI], dict[str, ReadinessCheck]] | None = None,
    allow_inline: bool = False,
) -> FastAPI:
    """A web app under ``prefix`` (``/portal``): the service skeleton plus the verifier, a
    client to the gateway, its static files, page errors, compression and security headers.
    ``scripts`` lets its pages load our scripts (htmx, Chart.js, app.js)."""
    links = WebLinks.build(settings, web_settings)
    assets = Assets(prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings, database_url=database_url)
        gateway = open_gateway(settings)
        identity = await IdentityResolver.start(runtime)
        web = WebContext(settings, links, runtime, identity, assets, gateway)
        app.state.runtime = runtime
        app.state.web = web
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app, web):
                    yield
        finally:
            await gateway.aclose()
            await runtime.close()

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        runtime: Runtime = app.state.runtime
        checks: dict[str, ReadinessCheck] = {
            "redis": runtime.ping_redis,
            "vault": runtime.secrets.ping,
        }
        if runtime.db is not None:
            checks["database"] = runtime.db.ping
        return {**checks, **(extra_readiness(app) if extra_readiness else {})}

    app = create_service_app(
        service=service,
        title=title,
        description=description,
        settings=settings,
        routers=routers,
        lifespan=lifespan,
        readiness=readiness,
    )
    app.state.links = links

    async def login_required(request: Request, exc: Exception) -> Response:
        return web_of(request).send_to_login(request)

    async def wrong_role(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WrongRole)
        return web_of(request).wrong_role_page(request, exc.principal, exc.allowed)

    async def form_expired(request: Request, exc: Exception) -> Response:
        return _message(request, 400, "This form has expired", _EXPIRED)

    async def api_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if exc.status == 401:
            return web_of(request).send_to_login(request)
        if exc.status == 404:
            return _message(request, 404, "Not found", ["There is nothing here, or not for you."])
        if exc.status == 403:
            return _message(request, 403, "Not allowed", [exc.detail])
        if exc.status < 500:
            return _message(request, exc.status, "That did not work", [exc.detail])
        return _message(request, 503, "Unavailable", [_UNAVAILABLE])

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(WrongRole, wrong_role)
    app.add_exception_handler(FormExpired, form_expired)
    app.add_exception_handler(ApiError, api_refused)
    app.mount(assets.path, assets.files(), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    csp = content_security_policy(links, scripts=scripts, allow_inline=allow_inline)
    app.add_middleware(SecurityHeadersMiddleware, csp=csp)
    return app

"""SQLAdmin (port 8005, ``/sqladmin``): the super admin's view of both databases.

A real :class:`sqladmin.Admin` over the auth tables (accounts) and, read-only, the
gamification tables (each through its own database's engine). Only a verified access cookie
of the ``super_admin`` role opens it: anonymous visitors go to the login screen,
other roles get a 403 page. Its transactions run in platform scope, so RLS shows
every tenant's rows — which is why nobody else may use it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bizosaas.core.database import Database
from bizosaas.core.settings import Settings, get_settings
from bizosaas.identity.resolver import SAFE_METHODS
from bizosaas.identity.vocabulary import Role
from bizosaas.web import sqladmin_gamification
from bizosaas.web.common import WebContext, create_web_app, render, web_of
from bizosaas.web.settings import WebLinks, WebSettings, origin_of
from bizosaas.web.sqladmin_views import VIEWS, AuditLogBackend

BASE_URL = "/sqladmin"


class PlatformScopedSession(Session):
    """A session whose every transaction declares platform scope (sees all tenants)."""


@event.listens_for(PlatformScopedSession, "after_begin")
def _declare_platform_scope(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    connection.execute(text("SELECT set_config('app.scope', 'platform', true)"))


class SuperAdminOnly(AuthenticationBackend):
    """Accepts the platform's own session (the access cookie) of a super admin, nothing else."""

    def __init__(self, links: WebLinks, secure: bool) -> None:
        # SQLAdmin keeps only flash messages in its session cookie; identity is ours.
        super().__init__(
            secret_key=secrets.token_urlsafe(32),
            session_cookie="bizosaas_sqladmin_flash",
            path=BASE_URL,
            same_site="strict",
            https_only=secure,
        )
        self.links = links
        self.web: WebContext | None = None

    async def login(self, request: Request) -> Response:
        return RedirectResponse(self.links.login_redirect(BASE_URL + "/"), status_code=303)

    async def logout(self, request: Request) -> Response:
        return RedirectResponse(BASE_URL + "/signout", status_code=303)

    async def authenticate(self, request: Request) -> Response | bool:
        assert self.web is not None, "SQLAdmin used before its lifespan started"
        principal = await self.web.principal_of(request)
        if principal is None:
            return self.web.send_to_login(request)
        if principal.role is not Role.SUPER_ADMIN:
            return self.web.wrong_role_page(request, principal, (Role.SUPER_ADMIN,))
        changes = request.method not in SAFE_METHODS or "/action/" in request.url.path
        if changes and not _same_origin(request, self.links):
            # SQLAdmin's forms carry no CSRF token, and its actions are links (GET): the
            # Lax cookie and this check stand in.
            return HTMLResponse("Cross-site request refused.", status_code=403)
        return True

    async def get_user_id(self, request: Request) -> Any:
        return getattr(request.state, "user_id", None)


def _same_origin(request: Request, links: WebLinks) -> bool:
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return False
    own = {origin_of(str(request.base_url))}
    if urlsplit(links.landing[Role.SUPER_ADMIN]).netloc:
        own.add(origin_of(links.landing[Role.SUPER_ADMIN]))
    return origin_of(sent) in own


router = APIRouter(tags=["sqladmin"])


@router.api_route(BASE_URL + "/login", methods=["GET", "POST"], include_in_schema=False)
async def sqladmin_login(request: Request) -> RedirectResponse:
    """SQLAdmin has no login of its own: the platform's single login screen is used."""
    return RedirectResponse(web_of(request).links.login_redirect(BASE_URL + "/"), status_code=303)


@router.get(BASE_URL + "/signout", response_class=HTMLResponse, include_in_schema=False)
async def sqladmin_signout(request: Request) -> HTMLResponse:
    """A sign-out button (POST with the session's CSRF token): a link cannot end a session."""
    web = web_of(request)
    return render(
        web,
        "message.html",
        title="Sign out",
        lines=["Signing out ends your session on every BizOSaaS app."],
        link_href=BASE_URL + "/",
        link_text="Back to SQLAdmin",
        signout_token=web.signout_token(request),
    )


def _platform_sessions() -> async_sessionmaker[AsyncSession]:
    """Sessions that see every tenant; bound to an engine when the app starts."""
    return async_sessionmaker(
        class_=AsyncSession, sync_session_class=PlatformScopedSession, expire_on_commit=False
    )


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    links = WebLinks.build(settings, web)
    # Bound to the runtime's engine when the app starts (the engine lives in the lifespan).
    sessionmaker, gamification = _platform_sessions(), _platform_sessions()
    backend = SuperAdminOnly(links, settings.secure_cookies)

    @asynccontextmanager
    async def bind(app: FastAPI, web_context: WebContext) -> AsyncIterator[None]:
        sessionmaker.configure(bind=web_context.runtime.database.engine)
        admin.admin.state.web = web_context  # its actions call the APIs as the super admin
        games = Database(settings.gamification_database_url, pool_size=2)
        gamification.configure(bind=games.engine)
        backend.web = web_context
        try:
            yield
        finally:
            await games.engine.dispose()

    app = create_web_app(
        service="sqladmin",
        title="BizOSaaS SQLAdmin",
        description="Database administration for the super admin.",
        settings=settings,
        web_settings=web,
        routers=[router],
        prefix="/sqladmin",
        database_url=settings.database_url,
        extra_lifespan=bind,
        allow_inline=True,
    )
    admin = Admin(
        app,
        session_maker=sessionmaker,
        base_url=BASE_URL,
        title="BizOSaaS SQLAdmin",
        authentication_backend=backend,
        audit_backend=AuditLogBackend(sessionmaker),
    )
    for view in VIEWS + sqladmin_gamification.VIEWS:
        # SQLAdmin binds its session maker onto the view *class*: a subclass per app keeps
        # two apps in one process (a test's second platform) from rebinding each other's.
        bound: type[ModelView] = type(view.__name__, (view,), {})
        admin.add_view(bound)
        if view in sqladmin_gamification.VIEWS:
            bound.session_maker = gamification  # the gamification database's own engine
    return app

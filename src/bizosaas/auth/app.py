"""The auth service (port 8007): users, tenants, tokens, sessions, JWKS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bizosaas.auth.context import AuthContext, publish_all_members, publish_all_tenants
from bizosaas.auth.sessions.endpoints import router as sessions
from bizosaas.auth.sessions.endpoints import well_known
from bizosaas.auth.users.endpoints import router as users
from bizosaas.core.app import ReadinessCheck, create_service_app
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings, get_settings

DESCRIPTION = """
One login for every BizOSaaS platform. Issues 30-minute EdDSA access tokens with the
PRD's claims and 30-day single-use refresh tokens, keeps a server-side session per
login in Redis (revocable at once), and manages tenants, users, roles and permissions.

Browsers get HttpOnly cookies and must echo the `bizosaas_csrf` cookie in the
`X-CSRF-Token` header on state-changing requests; API clients send
`Authorization: Bearer <access_token>`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings, database_url=settings.database_url)
        app.state.runtime = runtime
        app.state.auth = auth = await AuthContext.start(runtime)
        await publish_all_tenants(auth)
        await publish_all_members(auth)
        try:
            yield
        finally:
            await runtime.close()

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        runtime: Runtime = app.state.runtime
        return runtime.readiness()

    return create_service_app(
        service="auth-service",
        title="BizOSaaS Auth Service",
        description=DESCRIPTION,
        settings=settings,
        routers=[sessions, users, well_known],
        lifespan=lifespan,
        readiness=readiness,
        openapi_tags=[
            {"name": "sessions", "description": "Sign in, refresh, sign out, sessions"},
            {"name": "tenants", "description": "Tenants (super admin)"},
            {"name": "users", "description": "Users, roles, permissions, invitations"},
            {"name": "registration", "description": "Sign-up, email verification, password reset"},
            {"name": "keys", "description": "Token verification keys"},
        ],
    )

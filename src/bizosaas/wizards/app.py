"""The wizard service (port 8013): guided set-up that a tenant admin can leave and resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bizosaas.core.app import ReadinessCheck, create_service_app
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings, get_settings
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.web.api import open_gateway
from bizosaas.wizards.dependencies import WizardContext
from bizosaas.wizards.endpoints import router
from bizosaas.wizards.service import WizardService

DESCRIPTION = """
Guided set-up for a tenant's admins: onboarding, payment gateway set-up and the other
wizards, each a few steps.

A run is a **draft** kept on the server for its person: leave at any step, resume on any
device (`POST /api/v1/wizards/{wizard}/drafts` resumes an open one), go back and change an
earlier step. Each step is checked against its schema when saved (each draft lists the
JSON Schema of every step that applies); a refusal is a 422 naming each field, and
nothing is kept. Secret fields (`format: password`) are kept in Vault under the tenant,
never in the draft, and never answered back. An open draft expires (`expires_at`) a
while after its last save.

Finishing applies the whole result through the platform's services, over the gateway,
with the caller's own token, so their rules, permissions and audit log apply; a refusal
takes back what was applied (409, nothing applied). Sent twice, it applies once and
answers the same outcome.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings, database_url=settings.database_url)
        app.state.runtime = runtime
        gateway = open_gateway(settings)
        try:
            app.state.wizards = WizardContext(
                runtime=runtime,
                identity=await IdentityResolver.start(runtime),
                gateway=gateway,
                service=WizardService(runtime.secrets, settings),
            )
            yield
        finally:
            await gateway.aclose()
            await runtime.close()

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        runtime: Runtime = app.state.runtime
        return runtime.readiness()

    return create_service_app(
        service="wizard-service",
        title="BizOSaaS Wizard Service",
        description=DESCRIPTION,
        settings=settings,
        routers=[router],
        lifespan=lifespan,
        readiness=readiness,
        openapi_tags=[{"name": "wizards", "description": "Start, resume, answer, finish"}],
    )

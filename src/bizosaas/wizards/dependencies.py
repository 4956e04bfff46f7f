"""Who may use the wizards (a tenant admin, by access token or cookie plus CSRF), the unit
of work scoped to their tenant, and the service, as typed dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.errors import Forbidden
from bizosaas.core.runtime import Runtime
from bizosaas.identity.principal import Principal
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.identity.vocabulary import Role
from bizosaas.web.api import VisitorApi
from bizosaas.wizards.service import WizardService

bearer_scheme = HTTPBearer(auto_error=False, description="A tenant admin's access token")


@dataclass(frozen=True)
class WizardContext:
    """What the wizard service holds for its lifetime (built once, in the app's lifespan)."""

    runtime: Runtime
    identity: IdentityResolver
    gateway: httpx.AsyncClient
    service: WizardService


def context_of(request: Request) -> WizardContext:
    context: WizardContext = request.app.state.wizards
    return context


async def _context(request: Request) -> WizardContext:
    return context_of(request)


ContextDep = Annotated[WizardContext, Depends(_context)]


async def _service(context: ContextDep) -> WizardService:
    return context.service


WizardsDep = Annotated[WizardService, Depends(_service)]


async def authenticate(
    request: Request,
    context: ContextDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    identity = await context.identity.resolve(
        request.method, context.identity.presented(request.headers), accept_api_keys=False
    )
    principal = identity.principal
    assert principal is not None  # API keys are not accepted here
    if principal.role is not Role.TENANT_ADMIN or principal.tenant_id is None:
        raise Forbidden("The wizards set up an organisation: only its admins may use them.")
    request.state.tenant_id = str(principal.tenant_id)
    request.state.user_id = str(principal.user_id)
    return principal


AdminDep = Annotated[Principal, Depends(authenticate)]


async def _session(context: ContextDep, admin: AdminDep) -> AsyncIterator[AsyncSession]:
    async with context.runtime.database.transaction(admin.row_scope) as session:
        yield session


# scope="function": commit before the response leaves (read-your-writes on the next call).
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


async def _caller_api(request: Request, context: ContextDep, _admin: AdminDep) -> VisitorApi:
    """The platform's APIs through the gateway, as the caller (their own token)."""
    return VisitorApi(context.gateway, request, context.runtime.settings)


CallerApiDep = Annotated[VisitorApi, Depends(_caller_api)]

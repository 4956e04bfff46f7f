"""The client portal (port 3001, ``/portal``): the landing page of the ``user`` role.

Tenant admins are users of their tenant too and may look; the super admin, who
belongs to no tenant, is sent to SQLAdmin. Until the full portal exists this page
greets the user and shows what they may do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from bizosaas.core.settings import Settings, get_settings
from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import Role
from bizosaas.web.common import create_web_app, greeting_page, require_role
from bizosaas.web.settings import WebSettings

PortalUser = Annotated[Principal, Depends(require_role(Role.USER, Role.TENANT_ADMIN))]
router = APIRouter(tags=["portal"])


@router.get("/portal", response_class=HTMLResponse)
async def portal_home(request: Request, principal: PortalUser) -> HTMLResponse:
    """The client portal's home page; anonymous visitors go to the login screen."""
    return greeting_page(request, principal, "Client portal")


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    return create_web_app(
        service="client-portal",
        title="BizOSaaS Client Portal",
        description="The client portal: the home of the `user` role after sign-in.",
        settings=settings or get_settings(),
        web_settings=web,
        routers=[router],
        prefix="/portal",
    )

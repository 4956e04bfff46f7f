"""The admin dashboard (port 3009, ``/admin``): the landing page of the ``tenant_admin`` role.

The super admin may look too (they administer every tenant); clients may not.
Until the full dashboard exists this page greets the admin and shows what they may do.
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

Administrator = Annotated[Principal, Depends(require_role(Role.TENANT_ADMIN, Role.SUPER_ADMIN))]
router = APIRouter(tags=["admin"])


@router.get("/admin", response_class=HTMLResponse)
async def admin_home(request: Request, principal: Administrator) -> HTMLResponse:
    """The admin dashboard's home page; anonymous visitors go to the login screen."""
    return greeting_page(request, principal, "Admin dashboard")


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    return create_web_app(
        service="admin-dashboard",
        title="BizOSaaS Admin Dashboard",
        description="The admin dashboard: the home of the `tenant_admin` role after sign-in.",
        settings=settings or get_settings(),
        web_settings=web,
        routers=[router],
        prefix="/admin",
    )

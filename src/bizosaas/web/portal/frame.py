"""The portal's frame and its guard: who may use it, and what its header shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import Role
from bizosaas.web.api import VisitorApi
from bizosaas.web.common import require_role, web_of
from bizosaas.web.shell import AppShell, Flash, NavItem, page

NOTIFICATIONS = "/api/v1/gamification/notifications"
SHELL = AppShell(
    name="Client portal",
    home="/portal",
    nav=(
        NavItem("home", "Overview", "/portal"),
        NavItem("referrals", "Referrals", "/portal/referrals"),
        NavItem("achievements", "Achievements", "/portal/achievements"),
        NavItem("leaderboards", "Leaderboards", "/portal/leaderboards"),
        NavItem("showcases", "Showcases", "/portal/showcases"),
    ),
    live_url="/api/v1/gamification/live",
    notifications_href="/portal/notifications",
    switch_href="/portal/platform",
)
DONE = {
    "code": "Your referral link is ready.",
    "privacy": "Your privacy on this board is saved.",
    "read": "Marked as read.",
    "platform": "You switched platform.",
}

# Tenant admins are members of their tenant too and may look; the super admin, who
# belongs to no tenant, is sent to SQLAdmin.
Member = Annotated[Principal, Depends(require_role(Role.USER, Role.TENANT_ADMIN))]


def api(request: Request) -> VisitorApi:
    return web_of(request).api(request)


async def unread_count(visitor: VisitorApi) -> int:
    found = await visitor.optional(visitor.get(NOTIFICATIONS, limit=1, unread="true"))
    return int(found["unread"]) if found else 0


def portal_page(
    request: Request,
    principal: Principal,
    template: str,
    *,
    title: str,
    section: str,
    unread: int = 0,
    **context: Any,
) -> HTMLResponse:
    done = DONE.get(str(request.query_params.get("done") or ""))
    return page(
        request,
        SHELL,
        principal,
        template,
        title=title,
        section=section,
        unread=unread,
        flash=Flash("info", done) if done else None,
        **context,
    )

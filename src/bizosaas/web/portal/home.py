"""The portal's overview: my points, achievements and rank, my next goals; and the platform
switch in its header."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.api import gather
from bizosaas.web.portal.frame import Member, api, portal_page, unread_count
from bizosaas.web.shell import switch_platform_of

router = APIRouter(prefix="/portal", tags=["portal"])


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, principal: Member) -> HTMLResponse:
    """Points, achievements unlocked, rank on the main board, and the next goals."""
    visitor = api(request)
    tenant = principal.tenant_id
    found = await gather(
        me=visitor.optional(visitor.get("/api/v1/gamification/members/me")),
        goals=visitor.optional(
            visitor.get(f"/api/v1/gamification/achievements/{tenant}/next-goals", limit=3)
        ),
        unread=unread_count(visitor),
    )
    return portal_page(
        request,
        principal,
        "portal/home.html",
        title="Overview",
        section="home",
        unread=found["unread"],
        me=found["me"],
        goals=(found["goals"] or {}).get("goals", []),
    )


@router.post("/platform", response_class=HTMLResponse)
async def switch_platform(request: Request, principal: Member) -> Response:
    """Switch this session to another of my platforms, then come back (SSO)."""
    return await switch_platform_of(request, principal, "/portal")

"""My achievements: every one by category with a progress bar, unlocked ones with their date
and level, secret ones as secrets until unlocked, and my next goals."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bizosaas.web.api import gather
from bizosaas.web.portal.frame import Member, api, portal_page, unread_count

router = APIRouter(prefix="/portal/achievements", tags=["portal"])


@router.get("", response_class=HTMLResponse)
async def achievements(request: Request, principal: Member) -> HTMLResponse:
    visitor = api(request)
    base = f"/api/v1/gamification/achievements/{principal.tenant_id}"
    found = await gather(
        mine=visitor.get(base),
        goals=visitor.get(f"{base}/next-goals", limit=5),
        unread=unread_count(visitor),
    )
    mine = found["mine"]
    names = {c["key"]: c["name"] for c in mine["categories"]}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in mine["achievements"]:
        grouped[names.get(item["category"] or "", "Other")].append(item)
    return portal_page(
        request,
        principal,
        "portal/achievements.html",
        title="Achievements",
        section="achievements",
        unread=found["unread"],
        mine=mine,
        grouped=list(grouped.items()),
        goals=found["goals"]["goals"],
    )

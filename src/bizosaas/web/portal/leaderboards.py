"""Leaderboards: the boards I may see; on one, the top 10 and the rows around me, how far
the next place and the top 10 are and my best period (the LeaderboardAgent's insights), a
period switcher with past periods, when this period ends, and my privacy (hide me, or an
alias)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.api import ApiError, gather
from bizosaas.web.portal.frame import Member, api, portal_page, unread_count
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/portal/leaderboards", tags=["portal"])
BOARDS = "/api/v1/gamification/leaderboards"


@router.get("", response_class=HTMLResponse)
async def boards(request: Request, principal: Member) -> HTMLResponse:
    visitor = api(request)
    found = await gather(boards=visitor.get(BOARDS), unread=unread_count(visitor))
    return portal_page(
        request,
        principal,
        "portal/leaderboards.html",
        title="Leaderboards",
        section="leaderboards",
        unread=found["unread"],
        boards=found["boards"],
    )


@router.get("/{board_id}", response_class=HTMLResponse)
async def board(
    request: Request, principal: Member, board_id: uuid.UUID, period: str = ""
) -> HTMLResponse:
    """The live period (top 10, me, around me), or a past one (`?period=` its start)."""
    return await _board_page(request, principal, board_id, period, FormState())


async def _board_page(
    request: Request, principal: Member, board_id: uuid.UUID, period: str, form: FormState
) -> HTMLResponse:
    visitor = api(request)
    base = f"{BOARDS}/{board_id}"
    found = await gather(
        board=visitor.get(base),
        me=visitor.get(f"{base}/me"),
        periods=visitor.get(f"{base}/periods", limit=12),
        unread=unread_count(visitor),
    )
    if period:
        past = await visitor.get(f"{base}/periods/{period}", limit=10)
        top, around, insights = past["entries"], [], None
    else:
        parts = await gather(
            top=visitor.get(f"{base}/entries", limit=10),
            around=visitor.optional(visitor.get(f"{base}/around/{principal.user_id}", k=3)),
            insights=visitor.get(f"{base}/insights"),
        )
        insights = parts["insights"]
        top = parts["top"]["entries"]
        shown = {e["user_id"] for e in top}
        around = [
            e for e in (parts["around"] or {}).get("entries", []) if e["user_id"] not in shown
        ]
    return portal_page(
        request,
        principal,
        "portal/leaderboard.html",
        title=found["board"]["name"],
        section="leaderboards",
        unread=found["unread"],
        board=found["board"],
        me=found["me"],
        periods=found["periods"]["periods"],
        period=period,
        top=top,
        around=around,
        insights=insights,
        form=form,
    )


@router.post("/{board_id}/privacy", response_class=HTMLResponse)
async def privacy(request: Request, principal: Member, board_id: uuid.UUID) -> Response:
    """Hide me from everyone else on this board, or show an alias instead of my name."""
    fields = fields_of(await genuine_form(request, principal))
    body = {"hidden": fields.get("hidden") == "on", "alias": fields.get("alias") or None}
    try:
        await api(request).put(f"{BOARDS}/{board_id}/privacy", body)
    except ApiError as exc:
        if exc.status not in (400, 422):
            raise
        page = await _board_page(request, principal, board_id, "", FormState.refused(fields, exc))
        page.status_code = 400
        return page
    target = f"/portal/leaderboards/{board_id}"
    return back_to(target, target, "privacy")

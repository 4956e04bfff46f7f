"""My notifications: the latest first, the unread count, mark one or all read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.portal.frame import NOTIFICATIONS, Member, api, portal_page
from bizosaas.web.shell import back_to, genuine_form

router = APIRouter(prefix="/portal/notifications", tags=["portal"])


@router.get("", response_class=HTMLResponse)
async def notifications(request: Request, principal: Member, cursor: str = "") -> HTMLResponse:
    found = await api(request).get(NOTIFICATIONS, limit=30, cursor=cursor)
    return portal_page(
        request,
        principal,
        "portal/notifications.html",
        title="Notifications",
        section="notifications",
        unread=found["unread"],
        notifications=found["notifications"],
        next_cursor=found["next_cursor"],
    )


@router.post("/read-all", response_class=HTMLResponse)
async def read_all(request: Request, principal: Member) -> Response:
    await genuine_form(request, principal)
    await api(request).post(f"{NOTIFICATIONS}/read-all")
    return back_to("/portal/notifications", "/portal/notifications", "read")


@router.post("/{notification_id}/read", response_class=HTMLResponse)
async def read_one(request: Request, principal: Member, notification_id: uuid.UUID) -> Response:
    await genuine_form(request, principal)
    await api(request).post(f"{NOTIFICATIONS}/{notification_id}/read")
    return back_to("/portal/notifications", "/portal/notifications", "read")

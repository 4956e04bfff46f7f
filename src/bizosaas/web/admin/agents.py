"""What the agents found: score jumps held out of a period's final ranks (cleared or kept
out here), the latest achievement report (achievements nobody reaches, or everybody
reaches on day one), members whose event rates jump, and the referral funnel with its top
referrers, each run again on request; and the tasks the agents ran lately. Held
conversions with the fraud model's reasons are in the review queue, showcase drafts on the
Showcases page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin import achievements
from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.api import ApiError
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/agents", tags=["admin"])
TASKS = f"{G}/agents/tasks"
BOARDS = f"{G}/leaderboards"
HOME = "/admin/agents"
REPORTS = {
    "achievement_report": "Achievement report",
    "manipulation_flags": "Unusual activity",
    "referral_report": "Referral report",
}


@router.get("", response_class=HTMLResponse)
async def agents(request: Request, principal: Admin) -> HTMLResponse:
    return await _page(request, principal, FormState())


async def _page(
    request: Request, principal: Admin, form: FormState, status_code: int = 200
) -> HTMLResponse:
    visitor = api(request)
    latest: dict[str, dict[str, Any] | None] = {}
    for task_type in REPORTS:
        found = (await visitor.get(TASKS, task_type=task_type, limit=1))["tasks"]
        latest[task_type] = found[0] if found else None
    recent = (await visitor.get(TASKS, limit=20))["tasks"]
    jumps = (await visitor.get(f"{BOARDS}/flags"))["flags"]
    boards = {b["id"]: b["name"] for b in await visitor.get(BOARDS, status="all")}
    return admin_page(
        request,
        principal,
        "admin/agents.html",
        title="Agents",
        section="agents",
        status_code=status_code,
        form=form,
        reports=REPORTS,
        latest=latest,
        recent=recent,
        jumps=jumps,
        boards=boards,
    )


@router.post("/draft", response_class=HTMLResponse)
async def draft(request: Request, principal: Admin) -> Response:
    """An achievement from a plain request: the designer, filled in with what the agent
    proposes, for the admin to check and create; or this page again with why not."""
    wanted = fields_of(await genuine_form(request, principal)).get("request", "").strip()
    try:
        task = await api(request).post(
            TASKS, {"task_type": "draft_achievement", "payload": {"request": wanted}}
        )
    except ApiError as exc:
        why = exc.fields.get("payload.request") or exc.detail
        return await _page(
            request, principal, FormState({"request": wanted}, {"request": why}), 400
        )
    result = task["result"]
    if not result["understood"]:
        refused = FormState({"request": wanted}, {"request": result["explanation"]})
        return await _page(request, principal, refused, 400)
    note = result["explanation"] + (
        f" The designer says: {result['refused']}" if result["refused"] else ""
    )
    return await achievements.proposed(
        request, principal, result["proposal"], note, result["preview"]
    )


@router.post("/run", response_class=HTMLResponse)
async def run(request: Request, principal: Admin) -> Response:
    """Run one report again now (through the agents API, recorded like any task)."""
    task_type = fields_of(await genuine_form(request, principal)).get("task_type", "")
    if task_type in REPORTS:
        await api(request).post(TASKS, {"task_type": task_type, "payload": {}})
    return back_to(HOME, HOME, "ran")


@router.post("/jumps/{board_id}/{flag_id}/{decision}", response_class=HTMLResponse)
async def decide_jump(
    request: Request, principal: Admin, board_id: uuid.UUID, flag_id: uuid.UUID, decision: str
) -> Response:
    """Clear a score jump (it is ranked in its period) or keep it out of the final ranks."""
    await genuine_form(request, principal)
    if decision not in ("clear", "uphold"):
        return back_to(HOME, HOME)
    try:
        await api(request).post(f"{BOARDS}/{board_id}/flags/{flag_id}/{decision}", {})
    except ApiError as exc:
        if exc.status not in (404, 409):  # gone, or decided already (a second click)
            raise
    return back_to(HOME, HOME, "cleared" if decision == "clear" else "kept-out")


@router.post("/activity/{flag_id}/{decision}", response_class=HTMLResponse)
async def decide_activity(
    request: Request, principal: Admin, flag_id: uuid.UUID, decision: str
) -> Response:
    """Dismiss or confirm a member's unusual activity; the report is run again, so the page
    shows it decided."""
    await genuine_form(request, principal)
    if decision not in ("dismiss", "confirm"):
        return back_to(HOME, HOME)
    visitor = api(request)
    try:
        await visitor.post(f"{G}/agents/activity-flags/{flag_id}/{decision}", {})
    except ApiError as exc:
        if exc.status not in (404, 409):  # gone, or decided already (a second click)
            raise
    await visitor.post(TASKS, {"task_type": "manipulation_flags", "payload": {}})
    return back_to(HOME, HOME, "dismissed" if decision == "dismiss" else "confirmed")

"""What the agents found: the latest achievement report (achievements nobody reaches, or
everybody reaches on day one), members whose event rates jump, and the referral funnel with
its top referrers, each run again on request; and the tasks the agents ran lately. Held
conversions with the fraud model's reasons are in the review queue, showcase drafts on the
Showcases page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.shell import back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/agents", tags=["admin"])
TASKS = f"{G}/agents/tasks"
HOME = "/admin/agents"
REPORTS = {
    "achievement_report": "Achievement report",
    "manipulation_flags": "Unusual activity",
    "referral_report": "Referral report",
}


@router.get("", response_class=HTMLResponse)
async def agents(request: Request, principal: Admin) -> HTMLResponse:
    visitor = api(request)
    latest: dict[str, dict[str, Any] | None] = {}
    for task_type in REPORTS:
        found = (await visitor.get(TASKS, task_type=task_type, limit=1))["tasks"]
        latest[task_type] = found[0] if found else None
    recent = (await visitor.get(TASKS, limit=20))["tasks"]
    return admin_page(
        request,
        principal,
        "admin/agents.html",
        title="Agents",
        section="agents",
        reports=REPORTS,
        latest=latest,
        recent=recent,
    )


@router.post("/run", response_class=HTMLResponse)
async def run(request: Request, principal: Admin) -> Response:
    """Run one report again now (through the agents API, recorded like any task)."""
    task_type = fields_of(await genuine_form(request, principal)).get("task_type", "")
    if task_type in REPORTS:
        await api(request).post(TASKS, {"task_type": task_type, "payload": {}})
    return back_to(HOME, HOME, "ran")

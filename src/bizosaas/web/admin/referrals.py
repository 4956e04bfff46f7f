"""Referral programs, and the fraud review queue: each conversion held for review with its
score and the reasons behind it (shared devices and addresses, similar emails, velocity);
approve or reject one or many with a note; the resolved conversions by status."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.api import ApiError
from bizosaas.web.shell import FormState, back_to, genuine_form

router = APIRouter(prefix="/admin/referrals", tags=["admin"])
REFERRALS = f"{G}/referrals"
STATUSES = ("review", "approved", "rejected", "refunded")


@router.get("", response_class=HTMLResponse)
async def programs(request: Request, principal: Admin) -> HTMLResponse:
    found = await api(request).get(f"{REFERRALS}/programs")
    return admin_page(
        request,
        principal,
        "admin/programs.html",
        title="Referrals",
        section="referrals",
        programs=found,
    )


@router.get("/review", response_class=HTMLResponse)
async def review_queue(request: Request, principal: Admin, status: str = "review") -> HTMLResponse:
    return await _queue(request, principal, status if status in STATUSES else "review", FormState())


async def _queue(request: Request, principal: Admin, status: str, form: FormState) -> HTMLResponse:
    found = await api(request).get(f"{REFERRALS}/review", status=status)
    return admin_page(
        request,
        principal,
        "admin/review.html",
        title="Review queue",
        section="referrals",
        status=status,
        statuses=STATUSES,
        conversions=found["conversions"],
        form=form,
    )


@router.post("/review", response_class=HTMLResponse)
async def decide(request: Request, principal: Admin) -> Response:
    """Approve or reject the conversions ticked, with one note; each goes through the API (its
    rules and audit apply), and any it refuses is listed with the reason."""
    form = await genuine_form(request, principal)
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip()[:2000] or None
    picked = [str(v) for v in form.getlist("conversion")]
    problems: dict[str, str] = {}
    if decision not in ("approve", "reject"):
        problems["form"] = "Choose approve or reject."
    if not picked:
        problems["form"] = "Tick at least one conversion."
    visitor = api(request)
    for conversion_id in [] if problems else picked:
        try:
            uuid.UUID(conversion_id)
            await visitor.post(
                f"{REFERRALS}/conversions/{conversion_id}/{decision}", {"note": note}
            )
        except (ValueError, ApiError) as exc:
            problems[conversion_id] = (
                exc.detail if isinstance(exc, ApiError) else "Not a conversion."
            )
    if problems:
        problems.setdefault("form", "Some conversions were not changed: see below.")
        values: dict[str, Any] = {"note": note or "", "decision": decision}
        page = await _queue(request, principal, "review", FormState(values, problems))
        page.status_code = 400
        return page
    return back_to("/admin/referrals/review", "/admin/referrals/review", "decided")

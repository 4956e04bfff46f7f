"""Referral programs: a form that makes or changes one (rewards on both sides, tiers by
the number of approved referrals, what qualifies, the attribution window, the hold and
manual approval of rewards, caps, dates and the share buttons' message), its refusals
beside the fields."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import attempt, utc
from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.shell import PLATFORM_LABELS, FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/referrals/programs", tags=["admin"])
PROGRAMS = f"{G}/referrals/programs"
HOME = "/admin/referrals"
TIER_ROWS = 3
STATUSES = {
    "draft": "Draft (members cannot join yet)",
    "active": "Active",
    "paused": "Paused (no new conversions)",
    "archived": "Archived",
}
UNITS = {"points": "points", "credit": "store credit", "USD": "US dollars"}
NUMBERS = ("attribution_window_days", "hold_days", "cap_per_referrer")
# Left empty in the form, these are removed from a program; any other empty field is kept.
CLEARABLE = ("referee_reward", "cap_per_referrer", "cap_per_period", "starts_at", "ends_at")


def program_of(values: dict[str, str]) -> dict[str, Any]:
    """The program the form describes, in the API's words (the API checks it); an empty
    optional field clears it."""

    def reward(side: str) -> dict[str, str] | None:
        amount = values.get(f"{side}_amount", "")
        return (
            {"amount": amount, "unit": values.get(f"{side}_unit") or "points"} if amount else None
        )

    tiers = [
        {
            "min_referrals": values.get(f"tier_min_{i}"),
            "reward": {
                "amount": values.get(f"tier_amount_{i}", ""),
                "unit": values.get(f"tier_unit_{i}") or "points",
            },
        }
        for i in range(TIER_ROWS)
        if values.get(f"tier_min_{i}") or values.get(f"tier_amount_{i}")
    ]
    cap = (
        {"count": values.get("cap_count"), "days": values.get("cap_days")}
        if values.get("cap_count") or values.get("cap_days")
        else None
    )
    return {
        "name": values.get("name", ""),
        "platform": values.get("platform", ""),
        "status": values.get("status") or "draft",
        "share_message": values.get("share_message", ""),
        "qualifying_event": values.get("qualifying_event") or "signup",
        "manual_approval": values.get("manual_approval") == "on",
        "referrer_reward": reward("referrer") or {"amount": "", "unit": "points"},
        "referee_reward": reward("referee"),
        "tiers": tiers,
        "cap_per_period": cap,
        "starts_at": utc(values.get("starts_at", "")),
        "ends_at": utc(values.get("ends_at", "")),
    } | {name: values.get(name) or None for name in NUMBERS}


def values_of(program: dict[str, Any]) -> dict[str, str]:
    """A stored program as the form shows it."""
    shown = {
        k: "" if v is None else str(v)
        for k, v in program.items()
        if not isinstance(v, dict | list | bool)
    }
    for side in ("referrer", "referee"):
        reward = program.get(f"{side}_reward") or {}
        shown |= {
            f"{side}_amount": str(reward.get("amount", "")),
            f"{side}_unit": reward.get("unit", "points"),
        }
    for i, tier in enumerate(program["tiers"]):
        shown |= {
            f"tier_min_{i}": str(tier["min_referrals"]),
            f"tier_amount_{i}": str(tier["reward"]["amount"]),
            f"tier_unit_{i}": tier["reward"]["unit"],
        }
    cap = program.get("cap_per_period") or {}
    shown |= {"cap_count": str(cap.get("count", "")), "cap_days": str(cap.get("days", ""))}
    for moment in ("starts_at", "ends_at"):
        shown[moment] = (program.get(moment) or "")[:16]
    if program["manual_approval"]:
        shown["manual_approval"] = "on"
    return shown


def field_of(path: str) -> str:
    """The form field an API error names: ``tiers.1.reward.amount`` → ``tier_amount_1``,
    ``referrer_reward.unit`` → ``referrer_unit``, ``cap_per_period.days`` → ``cap_days``."""
    parts = path.split(".")
    head, last = parts[0], parts[-1]
    if head == "tiers" and len(parts) >= 3:
        return f"tier_{'min' if last == 'min_referrals' else last}_{parts[1]}"
    if head in ("referrer_reward", "referee_reward"):
        return f"{head.removesuffix('_reward')}_{last if len(parts) > 1 else 'amount'}"
    if head == "cap_per_period":
        return f"cap_{last if len(parts) > 1 else 'count'}"
    return head if head else "form"


def _form_page(
    request: Request,
    principal: Admin,
    form: FormState,
    editing: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        principal,
        "admin/program_form.html",
        title=f"Edit {editing['name']}" if editing else "New referral program",
        section="referrals",
        status_code=status_code,
        form=form,
        editing=editing,
        tier_rows=range(TIER_ROWS),
        options={
            "status": list(STATUSES.items()),
            "platform": list(PLATFORM_LABELS.items()),
            "unit": list(UNITS.items()),
        },
    )


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, principal: Admin) -> HTMLResponse:
    starter = {
        "status": "draft",
        "platform": principal.platform,
        "qualifying_event": "first_purchase",
        "attribution_window_days": "30",
        "hold_days": "14",
        "referrer_unit": "points",
        "referee_unit": "credit",
    }
    return _form_page(request, principal, FormState(starter))


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: Admin) -> Response:
    values = fields_of(await genuine_form(request, principal))
    body = {k: v for k, v in program_of(values).items() if v is not None}
    outcome = await attempt(values, api(request).post(PROGRAMS, body), fields=field_of)
    if isinstance(outcome, FormState):
        return _form_page(request, principal, outcome, status_code=400)
    return back_to(HOME, HOME, "saved")


@router.get("/{program_id}", response_class=HTMLResponse)
async def edit(request: Request, principal: Admin, program_id: uuid.UUID) -> HTMLResponse:
    program = await api(request).get(f"{PROGRAMS}/{program_id}")
    return _form_page(request, principal, FormState(values_of(program)), program)


@router.post("/{program_id}", response_class=HTMLResponse)
async def save(request: Request, principal: Admin, program_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    path = f"{PROGRAMS}/{program_id}"
    body = {k: v for k, v in program_of(values).items() if v is not None or k in CLEARABLE}
    outcome = await attempt(values, api(request).patch(path, body), fields=field_of)
    if isinstance(outcome, FormState):
        program = await api(request).get(path)
        return _form_page(request, principal, outcome, program, status_code=400)
    return back_to(HOME, HOME, "saved")

"""Rewards: the tenant's reward ledger by status (awaiting approval, held, available, paid,
clawed back) with its totals, filtered to one member or one kind; approve the rewards a
program holds for approval, and mark available ones paid, several at once."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import from_the_start_if_refused
from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.api import ApiError
from bizosaas.web.common import REWARD_STATES
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/rewards", tags=["admin"])
HOME = "/admin/rewards"
KINDS = {"referrer": "Referrer", "referee": "Friend", "tier": "Tier", "clawback": "Clawback"}
# What each state's entries can be made, from the ledger page.
ACTIONS = {"unapproved": ("approve", "Approve"), "available": ("pay", "Mark paid")}


async def _ledger(
    request: Request,
    principal: Admin,
    filters: dict[str, str],
    cursor: str,
    form: FormState,
    status_code: int = 200,
    ticked: frozenset[str] = frozenset(),
) -> HTMLResponse:
    asked = {k: v for k, v in filters.items() if v}
    found = await api(request).get(f"{G}/rewards/ledger", cursor=cursor, limit=50, **asked)
    return admin_page(
        request,
        principal,
        "admin/rewards.html",
        title="Rewards",
        section="rewards",
        status_code=status_code,
        entries=found["entries"],
        totals=found["totals"],
        next_cursor=found["next_cursor"],
        filters=filters,
        states=REWARD_STATES,
        kinds=KINDS,
        action=ACTIONS.get(filters["status"]),
        form=form,
        ticked=ticked,
    )


def _filters(status: str, kind: str, user_id: str) -> dict[str, str]:
    try:
        member = str(uuid.UUID(user_id)) if user_id else ""
    except ValueError:
        member = ""
    return {
        "status": status if status in REWARD_STATES else "",
        "kind": kind if kind in KINDS else "",
        "user_id": member,
    }


@router.get("", response_class=HTMLResponse)
async def rewards(
    request: Request,
    principal: Admin,
    status: str = "",
    kind: str = "",
    user_id: str = "",
    cursor: str = "",
) -> Response:
    filters = _filters(status, kind, user_id)
    ledger = _ledger(request, principal, filters, cursor, FormState())
    return await from_the_start_if_refused(ledger, HOME)


@router.post("", response_class=HTMLResponse)
async def decide(request: Request, principal: Admin) -> Response:
    """Approve or pay the entries ticked, with one note: all of them change or none, and
    the page says why."""
    form = await genuine_form(request, principal)
    values = fields_of(form)
    filters = _filters(values.get("status", ""), values.get("kind", ""), values.get("user_id", ""))
    decision = values.get("decision", "")
    picked = [str(v) for v in form.getlist("entry")]
    problem = (
        "Choose what to do."
        if decision not in ("approve", "pay")
        else "Tick at least one reward."
        if not picked
        else None
    )
    if problem is None:
        body = {"entry_ids": picked[:200], "note": values.get("note", "")[:500] or None}
        try:
            await api(request).post(f"{G}/rewards/{decision}", body)
        except ApiError as exc:
            if exc.status not in (404, 409, 422):
                raise
            problem = exc.detail if exc.status != 422 else "Those are not rewards of the ledger."
    if problem is not None:
        refused = FormState(values, {"form": problem})
        return await _ledger(request, principal, filters, "", refused, 400, frozenset(picked))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return back_to(f"{HOME}?{query}" if query else HOME, HOME, "rewarded")

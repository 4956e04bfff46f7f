"""Leaderboards: every board with its period and next reset; a form that defines one
(metric, operator, event and filters, order, period or cron, timezone, score limits,
members-only or public); what a board scores is fixed once made, so editing changes its
name, description, visibility, filters and limits; archive."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import FILTER_ROWS, OPS, attempt, filter_values, filters_of
from bizosaas.web.admin.frame import Admin, G, admin_page, api, unconfirmed
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/leaderboards", tags=["admin"])
BOARDS = f"{G}/leaderboards"
HOME = "/admin/leaderboards"
METRICS = {
    "points": "Points members earn",
    "referrals": "Referrals converted",
    "event": "An event property",
}
OPERATORS = {
    "": "The metric's own (sum, or count for referrals)",
    "sum": "Sum",
    "max": "Largest",
    "latest": "Latest",
    "count": "Count of events",
}
PERIODS = {
    "all_time": "All time",
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "cron": "On a cron schedule",
}
ORDERS = {"desc": "Highest first", "asc": "Lowest first"}
VISIBILITIES = {"members": "Members only", "public": "Public (readable without login)"}
LIMITS = ("max_change_per_event", "max_change_per_period")


def _limits(values: dict[str, str]) -> dict[str, str | None]:
    return {name: values.get(name) or None for name in LIMITS}


def new_board(values: dict[str, str]) -> dict[str, Any]:
    """The board the form describes, in the API's words (the API checks it)."""
    body: dict[str, Any] = {
        name: values.get(name) or None
        for name in ("event_type", "property", "operator", "cron", "timezone")
    }
    body |= {
        "key": values.get("key", ""),
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        "metric": values.get("metric") or "points",
        "filters": filters_of(values),
        "sort_order": values.get("sort_order") or "desc",
        "period": values.get("period") or "all_time",
        "visibility": values.get("visibility") or "members",
    }
    return {k: v for k, v in body.items() if v is not None} | {
        k: v for k, v in _limits(values).items() if v
    }


def changes(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        "visibility": values.get("visibility") or "members",
        "filters": filters_of(values),
    } | _limits(values)


def values_of(board: dict[str, Any]) -> dict[str, str]:
    shown = {k: "" if v is None else str(v) for k, v in board.items() if not isinstance(v, list)}
    return shown | filter_values(board["filters"])


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
        "admin/board_form.html",
        title=f"Edit {editing['name']}" if editing else "New leaderboard",
        section="leaderboards",
        status_code=status_code,
        form=form,
        editing=editing,
        ops=OPS,
        filter_rows=range(FILTER_ROWS),
        options={
            "metric": list(METRICS.items()),
            "operator": list(OPERATORS.items()),
            "period": list(PERIODS.items()),
            "sort_order": list(ORDERS.items()),
            "visibility": list(VISIBILITIES.items()),
        },
    )


@router.get("", response_class=HTMLResponse)
async def boards(request: Request, principal: Admin, status: str = "active") -> HTMLResponse:
    status = status if status in ("active", "archived") else "active"
    found = await api(request).get(BOARDS, status=status)
    return admin_page(
        request,
        principal,
        "admin/boards.html",
        title="Leaderboards",
        section="leaderboards",
        boards=found,
        status=status,
        labels={"metric": METRICS, "period": PERIODS, "visibility": VISIBILITIES},
    )


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, principal: Admin) -> HTMLResponse:
    starter = {"metric": "points", "period": "weekly", "visibility": "members"}
    return _form_page(request, principal, FormState(starter))


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: Admin) -> Response:
    values = fields_of(await genuine_form(request, principal))
    outcome = await attempt(values, api(request).post(BOARDS, new_board(values)))
    if isinstance(outcome, FormState):
        return _form_page(request, principal, outcome, status_code=400)
    return back_to(HOME, HOME, "saved")


@router.get("/{board_id}", response_class=HTMLResponse)
async def edit(request: Request, principal: Admin, board_id: uuid.UUID) -> HTMLResponse:
    board = await api(request).get(f"{BOARDS}/{board_id}")
    return _form_page(request, principal, FormState(values_of(board)), board)


@router.post("/{board_id}", response_class=HTMLResponse)
async def save(request: Request, principal: Admin, board_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    outcome = await attempt(values, api(request).patch(f"{BOARDS}/{board_id}", changes(values)))
    if isinstance(outcome, FormState):
        board = await api(request).get(f"{BOARDS}/{board_id}")
        return _form_page(request, principal, outcome, board, status_code=400)
    return back_to(HOME, HOME, "saved")


@router.post("/{board_id}/archive", response_class=HTMLResponse)
async def archive(request: Request, principal: Admin, board_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    board = await api(request).get(f"{BOARDS}/{board_id}")
    asking = unconfirmed(
        request,
        principal,
        values,
        question=f"Archive {board['name']}?",
        consequence="The board stops ranking and leaves members' view; its past periods "
        "stay in the archive.",
        button="Archive",
        cancel=HOME,
        section="leaderboards",
    )
    if asking:
        return asking
    await api(request).delete(f"{BOARDS}/{board_id}")
    return back_to(HOME, HOME, "saved")

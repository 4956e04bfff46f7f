"""The achievement designer: every definition with its trigger and levels; a form that
builds one (event type, filters, aggregation, window, levels, prerequisite, secret, dates),
shows how many members would already qualify before it is saved, and puts the service's
message next to the field it names; archive and restore."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import (
    FILTER_ROWS,
    OPS,
    attempt,
    filter_values,
    filters_of,
    utc,
)
from bizosaas.web.admin.frame import Admin, G, admin_page, api, unconfirmed
from bizosaas.web.api import gather
from bizosaas.web.common import render, web_of
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/achievements", tags=["admin"])
ACHIEVEMENTS = f"{G}/achievements"
LEVEL_ROWS = 5
AGGREGATIONS = {
    "count": "Count the events",
    "sum": "Add up a property",
    "max": "Largest value of a property",
    "distinct": "Different values of a property",
    "streak": "Consecutive days with an event",
}
PLATFORMS = {"": "Every platform", "bizoholic": "Bizoholic", "coreldove": "CoreLDove"}


# -- the form and the API's body ----------------------------------------------------------


def body_of(values: dict[str, str]) -> dict[str, Any]:
    """The definition the form describes, in the API's words (the API checks it)."""
    trigger: dict[str, Any] = {
        "event_type": values.get("event_type", ""),
        "aggregation": values.get("aggregation") or "count",
        "timezone": values.get("timezone") or "UTC",
        "filters": filters_of(values),
    }
    if values.get("property"):
        trigger["property"] = values["property"]
    if values.get("window_days"):
        trigger["window_days"] = values["window_days"]
    levels = [
        {
            "name": values.get(f"level_name_{i}") or None,
            "threshold": values[f"level_threshold_{i}"],
            "points": values.get(f"level_points_{i}") or 0,
        }
        for i in range(LEVEL_ROWS)
        if values.get(f"level_threshold_{i}")
    ]
    return {
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        "icon": values.get("icon") or "trophy",
        "category": values.get("category") or None,
        "platform": values.get("platform") or None,
        "trigger": trigger,
        "levels": levels or None,
        "prerequisite": values.get("prerequisite") or None,
        "hidden": values.get("hidden") == "on",
        "starts_at": utc(values.get("starts_at", "")),
        "ends_at": utc(values.get("ends_at", "")),
    }


def values_of(definition: dict[str, Any]) -> dict[str, str]:
    """A stored definition as the form shows it."""
    trigger = definition["trigger"]
    values = {
        k: str(definition.get(k) or "")
        for k in ("key", "name", "description", "icon", "category", "platform", "prerequisite")
    }
    values |= {
        "hidden": "on" if definition["hidden"] else "",
        "event_type": trigger["event_type"],
        "aggregation": trigger["aggregation"],
        "property": trigger["property"] or "",
        "window_days": str(trigger["window_days"] or ""),
        "timezone": trigger["timezone"],
    }
    for field in ("starts_at", "ends_at"):
        when = definition.get(field)
        values[field] = datetime.fromisoformat(when).strftime("%Y-%m-%dT%H:%M") if when else ""
    values |= filter_values(trigger["filters"])
    for i, level in enumerate(definition["levels"]):
        values |= {
            f"level_name_{i}": level["name"] or "",
            f"level_threshold_{i}": str(level["threshold"]),
            f"level_points_{i}": str(level["points"]),
        }
    return values


# -- pages --------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def definitions(request: Request, principal: Admin, status: str = "active") -> HTMLResponse:
    status = status if status in ("active", "archived") else "active"
    found = await api(request).get(f"{ACHIEVEMENTS}/definitions", status=status)
    return admin_page(
        request,
        principal,
        "admin/achievements.html",
        title="Achievements",
        section="achievements",
        definitions=found,
        status=status,
        ops=OPS,
    )


async def _designer(
    request: Request,
    principal: Admin,
    form: FormState,
    *,
    editing: dict[str, Any] | None = None,
    preview: dict[str, Any] | None = None,
    proposal_note: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    visitor = api(request)
    parts = await gather(
        categories=visitor.get(f"{ACHIEVEMENTS}/categories"),
        definitions=visitor.get(f"{ACHIEVEMENTS}/definitions"),
    )
    others = [d for d in parts["definitions"] if not editing or d["id"] != editing["id"]]
    return admin_page(
        request,
        principal,
        "admin/designer.html",
        title=f"Edit {editing['name']}" if editing else "New achievement",
        section="achievements",
        status_code=status_code,
        form=form,
        editing=editing,
        preview=preview,
        proposal_note=proposal_note,
        category_options=[("", "None")] + [(c["key"], c["name"]) for c in parts["categories"]],
        prerequisite_options=[("", "Nothing: counts from the start")]
        + [(d["key"], d["name"]) for d in others],
        event_types=sorted({d["trigger"]["event_type"] for d in parts["definitions"]}),
        ops=OPS,
        aggregations=AGGREGATIONS,
        platform_options=list(PLATFORMS.items()),
        filter_rows=range(FILTER_ROWS),
        level_rows=range(LEVEL_ROWS),
    )


async def proposed(
    request: Request,
    principal: Admin,
    definition: dict[str, Any],
    note: str,
    preview: dict[str, Any] | None,
) -> HTMLResponse:
    """The designer filled in with a definition an agent proposed (nothing is saved until
    the admin creates it), with how it was read and who would already qualify."""
    return await _designer(
        request, principal, FormState(values_of(definition)), preview=preview, proposal_note=note
    )


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, principal: Admin) -> HTMLResponse:
    starter = {"aggregation": "count", "timezone": "UTC", "level_threshold_0": "1"}
    return await _designer(request, principal, FormState(starter))


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: Admin) -> Response:
    values = fields_of(await genuine_form(request, principal))
    body = {"key": values.get("key", "")} | body_of(values)
    outcome = await attempt(values, api(request).post(f"{ACHIEVEMENTS}/custom", body))
    if isinstance(outcome, FormState):
        return await _designer(request, principal, outcome, status_code=400)
    return back_to("/admin/achievements", "/admin/achievements", "saved")


@router.post("/preview", response_class=HTMLResponse)
async def preview(request: Request, principal: Admin) -> Response:
    """Who would already qualify: a fragment for htmx, the designer again without it."""
    values = fields_of(await genuine_form(request, principal))
    body = body_of(values) | {
        "key": values.get("key") or "preview",
        "name": values.get("name") or "Preview",
        "prerequisite": None,  # the preview does not take it into account
    }
    outcome = await attempt(values, api(request).post(f"{ACHIEVEMENTS}/preview", body))
    refused = isinstance(outcome, FormState)
    form, result = (outcome, None) if refused else (FormState(values), outcome)
    if request.headers.get("hx-request") == "true":
        return render(web_of(request), "admin/_preview.html", preview=result, form=form)
    try:
        editing_id: uuid.UUID | None = uuid.UUID(values.get("editing", ""))
    except ValueError:  # the designer of a new one has no id to edit
        editing_id = None
    path = f"{ACHIEVEMENTS}/definitions/{editing_id}"
    editing = await api(request).get(path) if editing_id else None
    return await _designer(request, principal, form, editing=editing, preview=result)


@router.get("/{achievement_id}", response_class=HTMLResponse)
async def edit(request: Request, principal: Admin, achievement_id: uuid.UUID) -> HTMLResponse:
    found = await api(request).get(f"{ACHIEVEMENTS}/definitions/{achievement_id}")
    return await _designer(request, principal, FormState(values_of(found)), editing=found)


@router.post("/{achievement_id}", response_class=HTMLResponse)
async def save(request: Request, principal: Admin, achievement_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    path = f"{ACHIEVEMENTS}/definitions/{achievement_id}"
    outcome = await attempt(values, api(request).patch(path, body_of(values)))
    if isinstance(outcome, FormState):
        found = await api(request).get(path)
        return await _designer(request, principal, outcome, editing=found, status_code=400)
    return back_to("/admin/achievements", "/admin/achievements", "saved")


@router.post("/{achievement_id}/{transition}", response_class=HTMLResponse)
async def change_status(
    request: Request, principal: Admin, achievement_id: uuid.UUID, transition: str
) -> Response:
    values = fields_of(await genuine_form(request, principal))
    if transition not in ("archive", "restore"):
        return back_to("/admin/achievements", "/admin/achievements")
    if transition == "archive":
        found = await api(request).get(f"{ACHIEVEMENTS}/definitions/{achievement_id}")
        asking = unconfirmed(
            request,
            principal,
            values,
            question=f"Archive {found['name']}?",
            consequence="Members stop making progress towards it and no longer see it; "
            "unlocks already earned are kept. You can restore it later.",
            button="Archive",
            cancel="/admin/achievements",
            section="achievements",
        )
        if asking:
            return asking
    await api(request).post(f"{ACHIEVEMENTS}/definitions/{achievement_id}/{transition}")
    back = "archived" if transition == "restore" else "active"
    return back_to(f"/admin/achievements?status={back}", "/admin/achievements", "saved")

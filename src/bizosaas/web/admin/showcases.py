"""Showcases: the tenant's portfolios by status; generate a draft from the tenant's (or one
member's) real figures; edit its words, SEO fields and before/after metrics; publish it
to its public page, take it back to draft, or archive it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import attempt
from bizosaas.web.admin.frame import Admin, G, admin_page, api, unconfirmed
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/showcases", tags=["admin"])
PORTFOLIOS = f"{G}/portfolios"
AUTH = "/api/v1/auth"
HOME = "/admin/showcases"
STATUSES = {"draft": "Drafts", "published": "Published", "archived": "Archived"}
TEXTS = ("title", "slug", "summary", "challenge", "solution", "results")
SEO = ("seo_title", "seo_description", "share_text")
METRIC_FIELDS = ("name", "unit", "before_value", "after_value")
SPARE_METRIC_ROWS = 2
# What each status's page offers: (transition, button, style).
TRANSITIONS = {
    "draft": [("publish", "Publish", ""), ("archive", "Archive", "danger")],
    "published": [
        ("unpublish", "Take back to draft", "secondary"),
        ("archive", "Archive", "danger"),
    ],
    "archived": [],
}
NOTES = {"publish": "published", "unpublish": "unpublished", "archive": "archived"}


def changes(values: dict[str, str]) -> dict[str, Any]:
    """The portfolio the form describes, in the API's words; metric rows left empty go."""
    metrics: list[dict[str, str | None]] = []
    i = 0
    while f"metric_name_{i}" in values:
        row = {name: values.get(f"metric_{name}_{i}", "") for name in METRIC_FIELDS}
        if any(row.values()):
            metrics.append({k: v or None if k.endswith("_value") else v for k, v in row.items()})
        i += 1
    body: dict[str, Any] = {name: values.get(name, "") for name in TEXTS + SEO}
    if not body["slug"]:  # left empty: the address stays as it is
        del body["slug"]
    return body | {"metrics": metrics}


def values_of(portfolio: dict[str, Any]) -> dict[str, str]:
    shown = {name: str(portfolio.get(name) or "") for name in TEXTS + SEO}
    for i, metric in enumerate(portfolio["metrics"]):
        shown |= {f"metric_name_{i}": metric["name"], f"metric_unit_{i}": metric["unit"]}
        for name in ("before_value", "after_value"):
            value = metric[name]
            shown[f"metric_{name}_{i}"] = "" if value is None else f"{value:g}"
    return shown


def _editor(
    request: Request,
    principal: Admin,
    portfolio: dict[str, Any],
    form: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    rows = len(portfolio["metrics"]) + SPARE_METRIC_ROWS
    while f"metric_name_{rows}" in form.values:
        rows += 1
    return admin_page(
        request,
        principal,
        "admin/showcase.html",
        title=f"Edit {portfolio['title']}",
        section="showcases",
        status_code=status_code,
        portfolio=portfolio,
        form=form,
        metric_rows=range(min(rows, 20)),
        transitions=TRANSITIONS.get(portfolio["status"], []),
    )


async def _list(
    request: Request, principal: Admin, status: str, form: FormState, status_code: int = 200
) -> HTMLResponse:
    found = await api(request).get(PORTFOLIOS, status=status)
    return admin_page(
        request,
        principal,
        "admin/showcases.html",
        title="Showcases",
        section="showcases",
        status_code=status_code,
        portfolios=found,
        status=status,
        statuses=STATUSES,
        form=form,
    )


@router.get("", response_class=HTMLResponse)
async def showcases(
    request: Request, principal: Admin, status: str = "draft", user_id: uuid.UUID | None = None
) -> HTMLResponse:
    """``user_id`` (from a member's page) fills in who the next showcase is about."""
    status = status if status in STATUSES else "draft"
    about = await api(request).get(f"{AUTH}/users/{user_id}") if user_id else None
    return await _list(
        request, principal, status, FormState({"member": about["email"] if about else ""})
    )


async def _member_id(request: Request, email: str) -> str | None:
    """The tenant's user with exactly this email (any case), if there is one."""
    found = await api(request).get(f"{AUTH}/users", q=email[:100], limit=50)
    wanted = email.casefold()
    return next((u["id"] for u in found["users"] if u["email"].casefold() == wanted), None)


@router.post("/generate", response_class=HTMLResponse)
async def generate(request: Request, principal: Admin) -> Response:
    """A new draft written from the figures (the organisation's, or a member's found by
    email): the admin reviews and edits it before publishing."""
    values = fields_of(await genuine_form(request, principal))
    email = values.get("member", "")
    user_id = await _member_id(request, email) if email else None
    if email and user_id is None:
        refused = FormState(values, {"member": "No member of yours has this email."})
        return await _list(request, principal, "draft", refused, 400)
    body = {"title": values.get("title") or None, "user_id": user_id}
    outcome = await attempt(values, api(request).post(f"{G}/portfolio/generate", body))
    if isinstance(outcome, FormState):
        return await _list(request, principal, "draft", outcome, 400)
    return back_to(f"{HOME}/{outcome['id']}", HOME, "generated")


@router.get("/{portfolio_id}", response_class=HTMLResponse)
async def edit(request: Request, principal: Admin, portfolio_id: uuid.UUID) -> HTMLResponse:
    portfolio = await api(request).get(f"{PORTFOLIOS}/{portfolio_id}")
    return _editor(request, principal, portfolio, FormState(values_of(portfolio)))


@router.post("/{portfolio_id}", response_class=HTMLResponse)
async def save(request: Request, principal: Admin, portfolio_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    path = f"{PORTFOLIOS}/{portfolio_id}"
    outcome = await attempt(values, api(request).patch(path, changes(values)))
    if isinstance(outcome, FormState):
        portfolio = await api(request).get(path)
        return _editor(request, principal, portfolio, outcome, status_code=400)
    return back_to(f"{HOME}/{portfolio_id}", HOME, "saved")


@router.post("/{portfolio_id}/{transition}", response_class=HTMLResponse)
async def change_status(
    request: Request, principal: Admin, portfolio_id: uuid.UUID, transition: str
) -> Response:
    """``publish`` puts it on its public page at once; ``unpublish`` takes it back to a
    draft; ``archive`` (after a confirmation) keeps it off both lists."""
    values = fields_of(await genuine_form(request, principal))
    if transition not in ("publish", "unpublish", "archive"):
        return back_to(HOME, HOME)
    path = f"{PORTFOLIOS}/{portfolio_id}"
    if transition == "archive":
        portfolio = await api(request).get(path)
        asking = unconfirmed(
            request,
            principal,
            values,
            question=f"Archive {portfolio['title']}?",
            consequence="It leaves its public page and the drafts; links to it stop working. "
            "It is kept, and an archived showcase can still be read here.",
            button="Archive",
            cancel=f"{HOME}/{portfolio_id}",
            section="showcases",
        )
        if asking:
            return asking
    await api(request).post(f"{path}/{transition}")
    return back_to(f"{HOME}/{portfolio_id}", HOME, NOTES[transition])

"""The tenant's success metrics (the PRD's) against their targets, over a date range, with
charts over time: unlock rate, referral conversion, leaderboard participation, portfolio
creation and fraud flags."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.frame import Admin, G, admin_page, api
from bizosaas.web.api import ApiError
from bizosaas.web.shell import switch_platform_of

router = APIRouter(prefix="/admin", tags=["admin"])
LABELS = {
    "achievement_unlock_rate": "Achievement unlock rate",
    "referral_conversion_rate": "Referral conversion",
    "leaderboard_participation_rate": "Leaderboard participation",
    "portfolio_creation_rate": "Portfolio creation",
    "fraud_detection_accuracy": "Fraud detection accuracy (reviewed)",
}


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def chart(labels: list[str], series: dict[str, list[Any]], *, percent: bool = False) -> str:
    """A chart's data for app.js (a JSON block, never a script)."""
    palette = ["#24418f", "#0f7b6c", "#b45309", "#9d174d", "#475569"]
    datasets = [
        {
            "label": name,
            "data": values,
            "borderColor": palette[i % 5],
            "backgroundColor": palette[i % 5],
        }
        for i, (name, values) in enumerate(series.items())
    ]
    spec = {"type": "line", "labels": labels, "datasets": datasets, "percent": percent}
    return json.dumps(spec).replace("<", "\\u003c")


async def _report(request: Request, principal: Admin, first: date, last: date) -> Any:
    return await api(request).get(
        f"{G}/analytics/{principal.tenant_id}",
        **{"from": first.isoformat(), "to": last.isoformat()},
    )


@router.get("", response_class=HTMLResponse)
async def overview(
    request: Request, principal: Admin, start: str = "", end: str = ""
) -> HTMLResponse:
    """`start` and `end` (YYYY-MM-DD) pick the range; the last 30 days by default."""
    today = date.today()
    try:
        first = date.fromisoformat(start) if start else today - timedelta(days=29)
        last = date.fromisoformat(end) if end else today
        error = None
    except ValueError:
        first, last, error = today - timedelta(days=29), today, "Dates are written YYYY-MM-DD."
    try:
        report = await _report(request, principal, first, last)
    except ApiError as exc:
        if exc.status != 400:
            raise
        error = exc.detail
        first, last = today - timedelta(days=29), today
        report = await _report(request, principal, first, last)
    days = report["daily"]
    labels = [d["date"] for d in days]
    rates = chart(
        labels,
        {
            "Unlock rate": [_percent(d["unlock_rate"]) for d in days],
            "Participation": [_percent(d["participation_rate"]) for d in days],
            "Referral conversion": [_percent(d["referral_conversion_rate"]) for d in days],
            "Portfolio creation": [_percent(d["creation_rate"]) for d in days],
        },
        percent=True,
    )
    activity = chart(
        labels,
        {
            "Active members": [d["active_members"] for d in days],
            "Unlocks": [d["unlocks"] for d in days],
            "Conversions": [d["referral_conversions"] for d in days],
            "Fraud flags": [d["referral_flagged"] for d in days],
        },
    )
    targets = [
        {**t, "label": LABELS.get(t["metric"], t["metric"]), "percent": _percent(t["value"])}
        for t in report["targets"]
    ]
    return admin_page(
        request,
        principal,
        "admin/overview.html",
        title="Overview",
        section="overview",
        report=report,
        targets=targets,
        start=first.isoformat(),
        end=last.isoformat(),
        range_error=error,
        rates_chart=rates,
        activity_chart=activity,
        charts=True,
    )


@router.post("/platform", response_class=HTMLResponse)
async def switch_platform(request: Request, principal: Admin) -> Response:
    """Switch this session to another of my platforms, then come back (SSO)."""
    return await switch_platform_of(request, principal, "/admin")

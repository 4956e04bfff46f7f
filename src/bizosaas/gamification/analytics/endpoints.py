"""``/api/v1/gamification/analytics/{tenant_id}``: the PRD's success metrics for a tenant."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from bizosaas.gamification.analytics import service
from bizosaas.gamification.analytics.schemas import AnalyticsReport, CampaignResult
from bizosaas.gamification.dependencies import SessionDep, ViewAnalyticsDep

router = APIRouter(prefix="/api/v1/gamification/analytics", tags=["analytics"])


@router.get(
    "/results/{kind}/{object_id}",
    summary="How far one campaign has got: its program, achievement or board (view_analytics)",
    responses={404: {"description": "The tenant has no such object"}},
)
async def campaign_result(
    kind: Literal["program", "achievement", "leaderboard"],
    object_id: uuid.UUID,
    caller: ViewAnalyticsDep,
    db: SessionDep,
) -> CampaignResult:
    """`program`: its conversions, rejected and refunded ones left out; `achievement`: the
    members who unlocked it; `leaderboard`: the members with a score in its live period."""
    return await service.campaign_result(db, kind, object_id)


@router.get(
    "/{tenant_id}",
    summary="Referral funnel, unlock, participation and portfolio rates (view_analytics)",
    responses={
        400: {"description": "The range ends before it starts, or covers more than 366 days"},
        404: {"description": "Another tenant"},
    },
)
async def tenant_analytics(
    tenant_id: uuid.UUID,
    caller: ViewAnalyticsDep,
    db: SessionDep,
    first: Annotated[date | None, Query(alias="from", description="First day (UTC)")] = None,
    last: Annotated[date | None, Query(alias="to", description="Last day (UTC), included")] = None,
) -> AnalyticsReport:
    """Whole UTC days from `from` to `to`, both included (`to` defaults to today, `from` to
    30 days ending at `to`; at most 366 days). Totals, rates, one row per day of the range
    (zero-filled) and the PRD's targets: unlock rate > 70%, referral conversion > 12%,
    leaderboard participation > 60%, portfolio creation > 40%. Definitions are in each
    field's description; a rate with nothing to divide by is null and its target is not
    met."""
    caller.check_tenant(tenant_id)
    return await service.report(db, first, last)

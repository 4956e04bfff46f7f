"""``/api/v1/gamification/rewards``: members' reward balances and ledger entries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import (
    AdminDep,
    ConversionsDep,
    NotifierDep,
    SessionDep,
    ViewReferralsDep,
)
from bizosaas.gamification.rewards import ledger
from bizosaas.gamification.rewards.schemas import (
    DecisionOut,
    Kind,
    LedgerPage,
    RewardDecision,
    RewardsOut,
    State,
)

router = APIRouter(prefix="/api/v1/gamification/rewards", tags=["rewards"])


@router.get("/mine", summary="My reward balances and entries (view_referrals)")
async def my_rewards(caller: ViewReferralsDep, db: SessionDep) -> RewardsOut:
    """Held rewards are `pending` until their hold, which ends at `available_at`, is settled
    (they then become `available`, or are clawed back); a clawback is a negative entry
    linked to the grant it reverses (which shows as `reversed`)."""
    return await ledger.rewards_of(db, caller.require_member())


@router.get("", summary="A member's reward balances and entries (tenant admin)")
async def member_rewards(
    user_id: uuid.UUID, caller: AdminDep, db: SessionDep, conversions: ConversionsDep
) -> RewardsOut:
    return await conversions.rewards_of(db, caller, user_id)


@router.get("/ledger", summary="The tenant's reward ledger, by status (tenant admin)")
async def tenant_ledger(
    caller: AdminDep,
    db: SessionDep,
    page: Annotated[PageRequest, paging(50, 200)],
    status: Annotated[State | None, Query(description="Entries in this state only")] = None,
    kind: Annotated[Kind | None, Query(description="clawback: the reversals")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="One member's entries")] = None,
) -> LedgerPage:
    """Newest first, with each member's name and the totals per status and unit under the
    same filters (not only this page's)."""
    return await ledger.ledger_page(db, page, state=status, kind=kind, user_id=user_id)


@router.post(
    "/{decision}",
    summary="Approve held-for-approval rewards, or mark available ones paid (tenant admin)",
    responses={404: {"description": "An unknown entry"}, 409: {"description": "Wrong state"}},
)
async def decide(
    decision: Literal["approve", "pay"],
    body: RewardDecision,
    caller: AdminDep,
    db: SessionDep,
    notifier: NotifierDep,
) -> DecisionOut:
    """All the entries named change, or none. ``approve`` takes entries of a program with
    manual approval out of `unapproved` (their hold runs from the grant); ``pay`` records
    that `available` rewards were paid out. Each member is notified."""
    return await ledger.decide(db, notifier, caller.user_id, decision, body)

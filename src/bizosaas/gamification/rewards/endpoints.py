"""``/api/v1/gamification/rewards``: members' reward balances and ledger entries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from bizosaas.gamification.dependencies import (
    AdminDep,
    ConversionsDep,
    SessionDep,
    ViewReferralsDep,
)
from bizosaas.gamification.rewards import ledger
from bizosaas.gamification.rewards.schemas import RewardsOut

router = APIRouter(prefix="/api/v1/gamification/rewards", tags=["rewards"])


@router.get("/mine", summary="My reward balances and entries (view_referrals)")
async def my_rewards(caller: ViewReferralsDep, db: SessionDep) -> RewardsOut:
    """Held rewards are `pending` until their `available_at`; a clawback is a negative entry
    linked to the grant it reverses (which shows as `reversed`)."""
    return await ledger.rewards_of(db, caller.require_member())


@router.get("", summary="A member's reward balances and entries (tenant admin)")
async def member_rewards(
    user_id: uuid.UUID, caller: AdminDep, db: SessionDep, conversions: ConversionsDep
) -> RewardsOut:
    return await conversions.rewards_of(db, caller, user_id)

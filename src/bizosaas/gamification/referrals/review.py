"""Reviewing conversions: the queue, approval, rejection, and refunds (with clawbacks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import Conflict, NotFound
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.members.repository import MemberRepository
from bizosaas.gamification.referrals.conversion_repository import ConversionRepository
from bizosaas.gamification.referrals.conversions import ReferralConversions, is_server
from bizosaas.gamification.referrals.holds import RewardHolds
from bizosaas.gamification.referrals.models import ReferralConversion
from bizosaas.gamification.referrals.programs import find_program
from bizosaas.gamification.referrals.schemas import (
    ConversionOut,
    MemberReferrals,
    Referred,
    ReviewItem,
)
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import LedgerRepository


class ReferralReview:
    def __init__(self, conversions: ReferralConversions, holds: RewardHolds) -> None:
        self.conversions = conversions
        self.holds = holds

    def _settle_holds(self, db: AsyncSession, reversals: Sequence[RewardEntry], why: str) -> None:
        """Once the clawback commits, the clawed-back grants' holds end now."""
        held = [r.reverses_id for r in reversals if r.reverses_id is not None]
        if held:
            after_commit(db, lambda: self.holds.settle_now(held, why))

    async def _conversion(
        self, db: AsyncSession, conversion_id: uuid.UUID, *, final: tuple[str, ...] = ()
    ) -> ReferralConversion:
        """The conversion, locked; 409 when it is already in one of the ``final`` states."""
        conversion = await ConversionRepository(db).by_id(conversion_id, lock=True)
        if conversion is None:
            raise NotFound("No such conversion.")
        if conversion.status in final:
            raise Conflict(f"The conversion is already {conversion.status}.")
        return conversion

    def _reviewed(self, conversion: ReferralConversion, caller: Caller, note: str | None) -> None:
        conversion.reviewed_by = caller.user_id
        conversion.reviewed_at = conversion.updated_at = utcnow()
        if note is not None:
            conversion.review_note = note

    async def list_conversions(
        self, db: AsyncSession, caller: Caller, status: str | None
    ) -> list[ReviewItem]:
        rows = await ConversionRepository(db).list_conversions(status=status)
        people = {r.referrer_id for r in rows} | {r.referee_id for r in rows}
        names = {m.user_id: m.display_name for m in await MemberRepository(db).many(list(people))}
        return [
            ReviewItem.model_validate(r).model_copy(
                update={
                    "referrer_name": names.get(r.referrer_id),
                    "referee_name": names.get(r.referee_id),
                }
            )
            for r in rows
        ]

    async def member_tree(self, db: AsyncSession, user_id: uuid.UUID) -> MemberReferrals:
        rows = [
            ConversionOut.model_validate(r) for r in await ConversionRepository(db).around(user_id)
        ]
        below: dict[uuid.UUID, list[ConversionOut]] = {}
        for row in rows:
            below.setdefault(row.referrer_id, []).append(row)
        mine = [r for r in rows if user_id in (r.referrer_id, r.referee_id)]
        return MemberReferrals(
            user_id=user_id,
            referred_by=next((r for r in mine if r.referee_id == user_id), None),
            referred=[
                Referred(**r.model_dump(), referrals=below.get(r.referee_id, []))
                for r in below.get(user_id, [])
            ],
            flagged=[r for r in mine if r.status in ("review", "rejected")],
        )

    async def approve(
        self, db: AsyncSession, caller: Caller, conversion_id: uuid.UUID, note: str | None
    ) -> ConversionOut:
        conversion = await self._conversion(db, conversion_id, final=("approved", "refunded"))
        program = await find_program(db, conversion.program_id)
        self._reviewed(conversion, caller, note)
        await self.conversions.approve(db, conversion, program)
        await self.conversions.record_verdict(db, conversion, fraud=False)
        return ConversionOut.model_validate(conversion)

    async def reject(
        self, db: AsyncSession, caller: Caller, conversion_id: uuid.UUID, note: str | None
    ) -> ConversionOut:
        """Reject; if it was approved, its rewards are clawed back. A conversion the scoring
        rejected may be rejected again by a person: the verdict is then theirs (and other
        tenants learn from it)."""
        conversion = await self._conversion(db, conversion_id, final=("refunded",))
        if conversion.status == "rejected" and conversion.reviewed_by is not None:
            raise Conflict("The conversion is already rejected.")
        if conversion.status == "approved":
            reversals = await LedgerRepository(db).claw_back(conversion.id, "Conversion rejected.")
            self._settle_holds(db, reversals, "rejected by a tenant admin")
        conversion.status = "rejected"
        self._reviewed(conversion, caller, note)
        await self.conversions.record_verdict(db, conversion, fraud=True)
        await db.flush()
        return ConversionOut.model_validate(conversion)

    async def refund(
        self, db: AsyncSession, caller: Caller, conversion_id: uuid.UUID, note: str | None
    ) -> ConversionOut:
        """The referee's purchase was refunded: the conversion's rewards are clawed back."""
        is_server(caller)
        conversion = await self._conversion(db, conversion_id)
        if conversion.status == "refunded":
            return ConversionOut.model_validate(conversion)
        if conversion.status == "approved":
            reversals = await LedgerRepository(db).claw_back(conversion.id, "Purchase refunded.")
            self._settle_holds(db, reversals, "refunded")
        conversion.status = "refunded"
        conversion.updated_at = utcnow()
        if note is not None:
            conversion.review_note = note
        await db.flush()
        return ConversionOut.model_validate(conversion)

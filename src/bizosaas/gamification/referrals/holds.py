"""Reward holds on Temporal: a held grant waits out its program's hold, is checked again,
then made available or clawed back.

* A grant with a hold is written ``hold_state='due'`` (:meth:`LedgerRepository.grant`).
* The hold keeper (in the Temporal worker) starts one :class:`~.hold_workflow.RewardHold`
  per due grant, with the workflow id ``reward-hold-<entry id>`` and a policy that refuses
  a second start with that id, and marks it ``running``. Copies of the keeper take
  different grants (``SKIP LOCKED``); one that crashed between starting and marking is
  refused the second start, and marks it then.
* The workflow sleeps on Temporal's durable timer until the hold ends (a worker may stop
  and come back meanwhile), or until a refund or a review verdict signals it.
* Settling (the activity) runs in one transaction under the tenant's row-level security
  and is safe to repeat: a grant whose hold is ``over`` is left alone. It claws back a
  grant whose conversion was rejected or refunded; scores a conversion nobody reviewed
  again with today's model and claws back its grants if it would now be rejected;
  otherwise makes the grant available (one still waiting for a tenant admin's approval
  stays so, and approval then makes it available at once).

The ledger's grant keys already make every grant and clawback once-only; the workflow id
makes the hold itself once-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from bizosaas.core.background import BackgroundWork
from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.core.logging import get_logger
from bizosaas.core.temporal import TemporalLink
from bizosaas.gamification.events.pipeline import NotificationDraft
from bizosaas.gamification.notifications.service import Notifier
from bizosaas.gamification.referrals.conversion_repository import ConversionRepository
from bizosaas.gamification.referrals.conversions import ReferralConversions
from bizosaas.gamification.referrals.hold_workflow import (
    SETTLE_ACTIVITY,
    HoldInput,
    RewardHold,
    hold_workflow_id,
)
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import DueHolds, LedgerRepository

log = get_logger("bizosaas.gamification.holds")
KEEPER_BATCH = 200
KEEPER_INTERVAL_SECONDS = 30.0


class RewardHolds:
    def __init__(
        self,
        database: Database,
        temporal: TemporalLink,
        conversions: ReferralConversions,
        notifier: Notifier,
    ) -> None:
        self.database = database
        self.temporal = temporal
        self.conversions = conversions
        self.notifier = notifier

    # -- starting: the keeper's turn ------------------------------------------------------

    async def start_due(self, limit: int = KEEPER_BATCH) -> int:
        """Start the workflows of up to ``limit`` due holds; how many there were."""
        await self.temporal.client()  # Temporal down: nothing is taken, the keeper retries
        async with self.database.transaction(RowScope.platform_wide()) as db:
            due = await DueHolds(db).due(limit)
            for entry in due:
                assert entry.available_at is not None  # a held grant knows when it ends
                hold = HoldInput(
                    tenant_id=entry.tenant_id, entry_id=entry.id, until=entry.available_at
                )
                if not await self.temporal.start_once(
                    RewardHold.run, hold, hold_workflow_id(entry.id)
                ):
                    log.info("reward hold already started", entry_id=str(entry.id))
                entry.hold_state = "running"
        return len(due)

    # -- signals: a refund or a review verdict, after it commits ---------------------------

    async def settle_now(self, entry_ids: Sequence[uuid.UUID], reason: str) -> None:
        """Ask the holds of these grants to settle now. Best effort: a hold not started yet,
        or a Temporal outage, only means the hold settles when it ends (it reads the same
        verdict from the database then)."""
        try:
            client = await self.temporal.client()
            for entry_id in entry_ids:
                handle = client.get_workflow_handle(hold_workflow_id(entry_id))
                try:
                    await handle.signal(RewardHold.settle_now, reason)
                except RPCError as exc:
                    if exc.status != RPCStatusCode.NOT_FOUND:
                        raise
        except Exception:
            log.warning("could not signal reward holds; they settle when they end", exc_info=True)

    # -- settling: the workflow's activity ----------------------------------------------------

    @activity.defn(name=SETTLE_ACTIVITY)
    async def settle(self, hold: HoldInput) -> str:
        """released, clawed_back, awaiting_approval, or what an earlier settling left."""
        async with self.database.transaction(RowScope.tenant(hold.tenant_id)) as db:
            return await self._settle(db, hold.entry_id)

    async def _settle(self, db: AsyncSession, entry_id: uuid.UUID) -> str:
        found = await LedgerRepository(db).for_decision([entry_id])
        if not found:
            return "missing"
        entry = found[0]
        if entry.hold_state == "over":
            return "settled_before"
        if entry.status != "reversed" and entry.source_type == "conversion":
            assert entry.source_id is not None
            await self._check_conversion(db, entry.source_id)
            await db.refresh(entry)
        entry.hold_state = "over"
        if entry.status == "reversed":
            return "clawed_back"
        if entry.status == "unapproved":
            return "awaiting_approval"
        if entry.status == "pending":
            entry.status = "available"
            await self.notifier.notify(db, entry.tenant_id, [_available(entry)])
        return "released"

    async def _check_conversion(self, db: AsyncSession, conversion_id: uuid.UUID) -> None:
        """Claw back the grants of a conversion that is rejected or refunded, or that
        nobody reviewed and today's scoring would reject."""
        conversion = await ConversionRepository(db).by_id(conversion_id, lock=True)
        if conversion is None:
            return
        why = {"rejected": "Conversion rejected.", "refunded": "Purchase refunded."}.get(
            conversion.status
        )
        if why is None and conversion.reviewed_by is None:
            _, assessment = await self.conversions.rescore(db, conversion.id)
            if assessment.decision == "rejected":
                conversion.status = "rejected"
                conversion.risk_score = assessment.score
                conversion.risk_reasons = [r.as_dict() for r in assessment.reasons]
                conversion.updated_at = utcnow()
                why = "Rejected when its hold ended: it now scores as fraud."
        if why is None:
            return
        reversals = await LedgerRepository(db).claw_back(conversion.id, why)
        await self.notifier.notify(
            db, conversion.tenant_id, [_withdrawn(entry, why) for entry in reversals]
        )


class HoldKeeper(BackgroundWork):
    """Starts the workflows of due holds, in every tenant; woken when grants commit."""

    loop_name = "reward-hold-keeper"

    def __init__(self, holds: RewardHolds, interval: float = KEEPER_INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.holds = holds

    async def turn(self) -> bool:
        return await self.holds.start_due() == KEEPER_BATCH


def _available(entry: RewardEntry) -> NotificationDraft:
    return NotificationDraft(
        user_id=entry.user_id,
        kind="reward_available",
        title="Your reward is available",
        body=f"{entry.amount} {entry.unit}: its hold is over.",
        data={"entry_id": str(entry.id), "amount": str(entry.amount), "unit": entry.unit},
        dedupe_key=f"reward_available:{entry.id}",
    )


def _withdrawn(reversal: RewardEntry, why: str) -> NotificationDraft:
    return NotificationDraft(
        user_id=reversal.user_id,
        kind="reward_withdrawn",
        title="A reward was withdrawn",
        body=f"{-reversal.amount} {reversal.unit}. {why}",
        data={"entry_id": str(reversal.reverses_id), "unit": reversal.unit},
        dedupe_key=f"reward_withdrawn:{reversal.reverses_id}",
    )

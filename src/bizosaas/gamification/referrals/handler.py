"""Conversions from the event log: a referee's qualifying event converts its referral.

A program names its qualifying event: ``signup`` (the tenant sends ``member.signup``),
``first_purchase`` (``order.completed``; only the first converts, since a referee
converts once per program), ``subscription`` (``subscription.started``) or any event
type. When such an event arrives for a member who signed up with one of the
program's codes and has not converted yet, it is tracked exactly as
``POST /referrals/track-conversion`` would: attribution window, fraud score, review or
rewards, and a ``referral.converted`` event for the referrer in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.errors import AppError
from bizosaas.core.logging import get_logger
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.events.pipeline import Batch, Event
from bizosaas.gamification.referrals.conversions import ReferralConversions
from bizosaas.gamification.referrals.models import ReferralProgram, ReferralVisit
from bizosaas.gamification.referrals.repository import (
    CodeRepository,
    ProgramRepository,
    VisitRepository,
)
from bizosaas.gamification.referrals.schemas import ConversionIn

log = get_logger("bizosaas.gamification.referrals")
SIGNUP = "member.signup"  # sent by the auth service for every sign-up (with a link's code)
QUALIFYING_TYPES = {
    "signup": SIGNUP,
    "first_purchase": "order.completed",
    "subscription": "subscription.started",
}
# The processor acts as the tenant's own server when it tracks a conversion.
PROCESSOR_KEY = uuid.UUID(int=0)


def qualifying_type(program: ReferralProgram) -> str:
    return QUALIFYING_TYPES.get(program.qualifying_event, program.qualifying_event)


class ReferralHandler:
    name = "referrals"

    def __init__(self, service: ReferralConversions) -> None:
        self.service = service

    async def check(self, db: AsyncSession, tenant_id: uuid.UUID, events: Sequence[Event]) -> None:
        return None

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        await self._record_signups(db, batch)
        programs = await ProgramRepository(db).list_programs("active")
        by_type: dict[str, list[ReferralProgram]] = {}
        for program in programs:
            by_type.setdefault(qualifying_type(program), []).append(program)
        candidates = sorted(
            (e for e in batch.events if e.type in by_type), key=lambda e: (e.occurred_at, e.seq)
        )
        if not candidates:
            return
        open_referrals = await VisitRepository(db).unconverted_signups(
            {e.user_id for e in candidates}, [p.id for p in programs]
        )
        if not open_referrals:
            return
        service = self.service
        caller = Caller(
            tenant_id=batch.tenant_id,
            user_id=None,
            role=None,
            permissions=frozenset(),
            api_key_id=PROCESSOR_KEY,
        )
        for event in candidates:
            for program in by_type[event.type]:
                if (program.id, event.user_id) not in open_referrals:
                    continue
                open_referrals.discard((program.id, event.user_id))
                await self._convert(db, batch, service, caller, program, event)

    async def _record_signups(self, db: AsyncSession, batch: Batch) -> None:
        """New members who came through a share link (the auth service's `member.signup`
        carries its code): their sign-up joins the referrer's funnel, once."""
        codes, visits = CodeRepository(db), VisitRepository(db)
        for event in batch.events:
            text = event.properties.get("referral_code")
            if event.type != SIGNUP or not isinstance(text, str):
                continue
            code = await codes.by_text(text)
            if code is None or not code.active or await visits.has_signup(code.id, event.user_id):
                continue
            props = event.properties
            visits.add(
                ReferralVisit(
                    code_id=code.id,
                    kind="signup",
                    referee_id=event.user_id,
                    ip=props.get("ip") if isinstance(props.get("ip"), str) else None,
                    device_fingerprint=str(props.get("device_fingerprint") or "")[:128] or None,
                    created_at=event.occurred_at,
                )
            )
        await db.flush()

    async def _convert(
        self,
        db: AsyncSession,
        batch: Batch,
        service: ReferralConversions,
        caller: Caller,
        program: ReferralProgram,
        event: Event,
    ) -> None:
        props = event.properties
        body = ConversionIn(
            program_id=program.id,
            referee_id=event.user_id,
            event_id=event.event_id,
            occurred_at=event.occurred_at,
            ip=props.get("ip") if isinstance(props.get("ip"), str) else None,
            device_fingerprint=props.get("device_fingerprint")
            if isinstance(props.get("device_fingerprint"), str)
            else None,
        )
        try:
            async with db.begin_nested():  # a refusal leaves the rest of the batch untouched
                await service.track_conversion(db, caller, body)
        except (AppError, ValueError) as exc:
            log.info(
                "qualifying event did not convert",
                event_id=event.event_id,
                program_id=str(program.id),
                reason=str(exc),
            )
            return

    async def reset(self, db: AsyncSession, tenant_id: uuid.UUID, since: datetime | None) -> None:
        """Conversions are records (and money), not derived state: a replay keeps them."""

    async def after_reset(self, tenant_id: uuid.UUID) -> None:
        return None

    async def erase(self, db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """The member's funnel visits go; conversions and the ledger stay as financial records."""
        await VisitRepository(db).forget_referee(user_id)

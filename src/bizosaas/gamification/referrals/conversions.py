"""The referral funnel and conversions: visits, attribution, fraud scoring, rewards.

A conversion is recorded once per (program, referee), scored for fraud, and either
approved at once (rewards within caps, tier rewards, a ``referral.converted`` event
for the referrer, notifications), rejected, or left for review (:mod:`.review`).
Services flush and never commit; what follows the commit (publishing notifications,
waking the event processor) is handed to the unit of work with
:func:`~bizosaas.core.database.after_commit`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import BadRequest, Forbidden, NotFound
from bizosaas.core.members import MemberDirectory, MemberInfo
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.events.pipeline import Event, NotificationDraft
from bizosaas.gamification.events.repository import EventRepository
from bizosaas.gamification.notifications.service import Notifier
from bizosaas.gamification.referrals import fraud
from bizosaas.gamification.referrals.conversion_repository import ConversionRepository
from bizosaas.gamification.referrals.fraud_marks import FraudMarks
from bizosaas.gamification.referrals.fraud_model.store import FraudModels
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
    ReferralVisit,
)
from bizosaas.gamification.referrals.neighbourhood import Conversion, Neighbourhood
from bizosaas.gamification.referrals.programs import check_open, find_program
from bizosaas.gamification.referrals.repository import CodeRepository, VisitRepository
from bizosaas.gamification.referrals.schemas import (
    ClickIn,
    ConversionIn,
    ConversionOut,
    SignupIn,
    VisitOut,
)
from bizosaas.gamification.rewards.ledger import rewards_of
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import LedgerRepository
from bizosaas.gamification.rewards.schemas import RewardsOut

MAX_FUTURE_SKEW = timedelta(minutes=5)
REFERRAL_EVENT = "referral.converted"


def is_server(caller: Caller) -> None:
    if not (caller.is_api_key or caller.is_tenant_admin):
        raise Forbidden("This needs a tenant API key or a tenant admin.")


class ReferralConversions:
    def __init__(
        self,
        directory: MemberDirectory,
        notifier: Notifier,
        wake: Callable[[], Awaitable[None]],
        wake_holds: Callable[[], Awaitable[None]],
        marks: FraudMarks,
        models: FraudModels,
    ) -> None:
        self.directory = directory
        self.notifier = notifier
        self.wake = wake  # the event processor, for the referrer's event
        self.wake_holds = wake_holds  # the hold keeper, for held rewards
        self.marks = marks
        self.models = models  # the live fraud model; without one, the rules alone score

    # -- the funnel -----------------------------------------------------------------------

    async def _active_code(self, db: AsyncSession, text: str) -> ReferralCode:
        code = await CodeRepository(db).by_text(text)
        if code is None or not code.active:
            raise NotFound("No active referral code " + repr(text.upper()) + ".")
        return code

    async def _check_member(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> MemberInfo:
        return await self.directory.member_of(tenant_id, user_id)

    async def record_visit(
        self, db: AsyncSession, caller: Caller, body: ClickIn | SignupIn
    ) -> VisitOut:
        is_server(caller)
        code = await self._active_code(db, body.code)
        referee_id = body.referee_id if isinstance(body, SignupIn) else None
        if referee_id is not None:
            await self._check_member(caller.tenant_id, referee_id)
        visit = VisitRepository(db).add(
            ReferralVisit(
                code_id=code.id,
                kind="signup" if referee_id is not None else "click",
                referee_id=referee_id,
                ip=str(body.ip) if body.ip else None,
                device_fingerprint=body.device_fingerprint,
                created_at=utcnow(),
            )
        )
        await db.flush()
        return VisitOut.model_validate(visit)

    # -- conversions ----------------------------------------------------------------------

    async def track_conversion(
        self, db: AsyncSession, caller: Caller, body: ConversionIn
    ) -> ConversionOut:
        """Record a conversion once per (program, referee); score it; reward it if clean."""
        is_server(caller)
        tenant_id = caller.tenant_id
        code: ReferralCode | None = None
        if body.code is not None:
            code = await self._active_code(db, body.code)
            if body.program_id is not None and body.program_id != code.program_id:
                raise BadRequest("The code belongs to another program than program_id.")
        program = await find_program(db, body.program_id or code.program_id)  # type: ignore[union-attr]
        referee = await self._check_member(tenant_id, body.referee_id)
        conversions = ConversionRepository(db)
        existing = await conversions.of_referee(program.id, body.referee_id)
        if existing is not None:
            return ConversionOut.model_validate(existing)
        now = utcnow()
        occurred = body.occurred_at or now
        if occurred > now + MAX_FUTURE_SKEW:
            raise BadRequest("occurred_at is in the future.")
        check_open(program, occurred)
        ip = str(body.ip) if body.ip else None
        code_ids = [code.id] if code else await CodeRepository(db).program_code_ids(program.id)
        visit = await VisitRepository(db).attribution_visit(
            code_ids, body.referee_id, ip, body.device_fingerprint
        )
        notes: list[dict[str, Any]] = []
        if visit is None:
            if code is None:
                raise BadRequest(
                    "No signup or click with this program's codes is recorded for the referee; "
                    "send the code."
                )
            notes.append(
                {
                    "code": "no_visit",
                    "weight": 0.0,
                    "detail": "No click or signup with the code was recorded; "
                    "attributed on the code alone.",
                }
            )
        else:
            if occurred - visit.created_at > timedelta(days=program.attribution_window_days):
                raise BadRequest(
                    f"The referee's {visit.kind} with the code is older than the program's "
                    f"{program.attribution_window_days}-day attribution window."
                )
            if code is None:
                code = await CodeRepository(db).by_id(visit.code_id)
                assert code is not None
        # A self-referral goes on to be scored (and rejected, with its reason on record).
        earlier = referee.joined_at is not None and referee.joined_at < code.created_at
        if earlier and referee.user_id != code.user_id:
            raise BadRequest(
                "The referee was already a member before this referral code existed: only "
                "new members can be referred."
            )
        referrer = await self.directory.get(code.user_id)
        assessment = await self._assess(
            db,
            Conversion(
                code=code,
                program_id=program.id,
                referee_id=body.referee_id,
                referrer_name=referrer.display_name if referrer else "",
                referee_name=referee.display_name,
                referrer_email=str(body.referrer_email) if body.referrer_email else None,
                referee_email=str(body.referee_email) if body.referee_email else None,
                ip=ip,
                device=body.device_fingerprint,
                visit_at=visit.created_at if visit else None,
                occurred_at=occurred,
                now=now,
            ),
        )
        status = assessment.decision
        conversion_id = await conversions.insert(
            {
                "id": uuid.uuid4(),
                "program_id": program.id,
                "code_id": code.id,
                "referrer_id": code.user_id,
                "referee_id": body.referee_id,
                "referee_email": str(body.referee_email) if body.referee_email else None,
                "status": status,
                "risk_score": assessment.score,
                "risk_reasons": [r.as_dict() for r in assessment.reasons] + notes,
                "features": list(assessment.features) or None,
                "ip": ip,
                "device_fingerprint": body.device_fingerprint,
                "event_id": body.event_id,
                "converted_at": occurred,
                "created_at": now,
                "updated_at": now,
            },
        )
        if conversion_id is None:  # a concurrent request converted this referee first
            raced = await conversions.of_referee(program.id, body.referee_id)
            assert raced is not None
            return ConversionOut.model_validate(raced)
        conversion = await conversions.by_id(conversion_id)
        assert conversion is not None
        if status == "approved":
            await self.approve(db, conversion, program)
        result = ConversionOut.model_validate(conversion)
        result.created = True
        return result

    async def _assess(self, db: AsyncSession, conversion: Conversion) -> fraud.Assessment:
        """The trained model's score with the rules' reasons (the rules alone without a
        model), raised by what other tenants found about the device, address and domain."""
        signals = await Neighbourhood(db).signals(conversion)
        model = await self.models.current()
        assessment = fraud.assess(signals) if model is None else model.assess(signals)
        digests = self.marks.digests(
            device=conversion.device, ip=conversion.ip, email=conversion.referee_email
        )
        return fraud.with_evidence(assessment, await self.marks.reasons(db, digests))

    async def rescore(
        self, db: AsyncSession, conversion_id: uuid.UUID
    ) -> tuple[ReferralConversion, fraud.Assessment]:
        """The conversion scored again with today's model, neighbourhood and marks (its
        status and stored score stay as they are)."""
        conversion = await ConversionRepository(db).by_id(conversion_id)
        if conversion is None:
            raise NotFound("No such conversion.")
        code = await CodeRepository(db).by_id(conversion.code_id)
        assert code is not None  # a conversion's code is kept while the conversion is
        referrer = await self.directory.get(code.user_id)
        referee = await self.directory.get(conversion.referee_id)
        ip = str(conversion.ip) if conversion.ip else None
        visit = await VisitRepository(db).attribution_visit(
            [code.id], conversion.referee_id, ip, conversion.device_fingerprint
        )
        assessment = await self._assess(
            db,
            Conversion(
                code=code,
                program_id=conversion.program_id,
                referee_id=conversion.referee_id,
                referrer_name=referrer.display_name if referrer else "",
                referee_name=referee.display_name if referee else "",
                referrer_email=None,
                referee_email=conversion.referee_email,
                ip=ip,
                device=conversion.device_fingerprint,
                visit_at=visit.created_at if visit else None,
                occurred_at=conversion.converted_at,
                now=conversion.created_at,
                itself=conversion.id,
            ),
        )
        return conversion, assessment

    async def record_verdict(
        self, db: AsyncSession, conversion: ReferralConversion, *, fraud: bool
    ) -> None:
        """A tenant admin's verdict, for other tenants to learn from (as keyed hashes)."""
        digests = self.marks.digests(
            device=conversion.device_fingerprint,
            ip=str(conversion.ip) if conversion.ip else None,
            email=conversion.referee_email,
        )
        await self.marks.record(db, digests, fraud=fraud)

    async def approve(
        self,
        db: AsyncSession,
        conversion: ReferralConversion,
        program: ReferralProgram,
    ) -> None:
        """Approve: rewards (within caps), tier rewards, the referrer's event, notifications."""
        tenant_id, referrer = conversion.tenant_id, conversion.referrer_id
        conversions, ledger = ConversionRepository(db), LedgerRepository(db)
        await conversions.lock_referrer(program.id, referrer)
        conversion.status = "approved"
        conversion.updated_at = utcnow()
        await db.flush()
        capped = await self._cap_reached(db, conversion, program)
        granted: list[RewardEntry] = []
        if capped is not None:
            conversion.risk_reasons = [*conversion.risk_reasons, capped]
        else:
            for side, user_id, reward in (
                ("referrer", referrer, program.referrer_reward),
                ("referee", conversion.referee_id, program.referee_reward),
            ):
                if not reward:
                    continue
                entry = await ledger.grant(
                    user_id=user_id,
                    kind=side,
                    amount=Decimal(str(reward["amount"])),
                    unit=reward["unit"],
                    grant_key=f"conversion:{conversion.id}:{side}",
                    source_type="conversion",
                    source_id=conversion.id,
                    hold_days=program.hold_days,
                    approval=program.manual_approval,
                )
                if entry is not None:
                    granted.append(entry)
        approved = await conversions.approved_count(program.id, referrer)
        for tier in program.tiers:
            if tier["min_referrals"] > approved:
                continue
            entry = await ledger.grant(
                user_id=referrer,
                kind="tier",
                amount=Decimal(str(tier["reward"]["amount"])),
                unit=tier["reward"]["unit"],
                grant_key=f"tier:{program.id}:{referrer}:{tier['min_referrals']}",
                source_type="tier",
                source_id=program.id,
                hold_days=program.hold_days,
                approval=program.manual_approval,
                note=f"Reached {tier['min_referrals']} referrals in {program.name}.",
            )
            if entry is not None:
                granted.append(entry)
        await db.flush()
        # The transactional outbox: the referrer's event is stored with the approval, so
        # achievements and referral leaderboards follow exactly once.
        await EventRepository(db).store(
            [
                Event(
                    event_id=f"referral:{conversion.id}",
                    type=REFERRAL_EVENT,
                    user_id=referrer,
                    properties={
                        "program_id": str(program.id),
                        "conversion_id": str(conversion.id),
                        "referee_id": str(conversion.referee_id),
                        "platform": program.platform,
                    },
                    occurred_at=conversion.converted_at,
                )
            ],
            source="platform",
            source_id=conversion.id,
        )
        drafts = [
            NotificationDraft(
                user_id=referrer,
                kind="referral_converted",
                title="Your referral converted",
                body=f"Someone you referred joined through {program.name}.",
                data={"conversion_id": str(conversion.id), "program_id": str(program.id)},
                dedupe_key=f"referral_converted:{conversion.id}",
            )
        ]
        drafts += [
            NotificationDraft(
                user_id=entry.user_id,
                kind="reward_granted",
                title="You earned a reward",
                body=f"{entry.amount} {entry.unit}"
                + (
                    ", once a tenant admin approves it"
                    if entry.status == "unapproved"
                    else f", available from {entry.available_at:%Y-%m-%d}"
                    if entry.status == "pending"
                    else ""
                ),
                data={
                    "entry_id": str(entry.id),
                    "amount": str(entry.amount),
                    "unit": entry.unit,
                    "kind": entry.kind,
                },
                dedupe_key=f"reward:{entry.id}",
            )
            for entry in granted
        ]
        await self.notifier.notify(db, tenant_id, drafts)
        after_commit(db, self.wake)
        if any(entry.hold_state for entry in granted):
            after_commit(db, self.wake_holds)

    async def _cap_reached(
        self, db: AsyncSession, conversion: ReferralConversion, program: ReferralProgram
    ) -> dict[str, Any] | None:
        """Why this conversion earns no reward (a cap), or None."""
        conversions = ConversionRepository(db)
        args = (program.id, conversion.referrer_id)
        if program.cap_per_referrer is not None:
            before = await conversions.approved_count(*args, excluding=conversion.id)
            if before >= program.cap_per_referrer:
                return {
                    "code": "cap_per_referrer",
                    "weight": 0.0,
                    "detail": f"The referrer already had {before} rewarded referrals "
                    f"(cap {program.cap_per_referrer}); no reward.",
                }
        if program.cap_per_period:
            count, days = program.cap_per_period["count"], program.cap_per_period["days"]
            since = utcnow() - timedelta(days=days)
            before = await conversions.approved_count(*args, since=since, excluding=conversion.id)
            if before >= count:
                return {
                    "code": "cap_per_period",
                    "weight": 0.0,
                    "detail": f"The referrer reached {count} referrals in {days} days; no reward.",
                }
        return None

    # -- rewards --------------------------------------------------------------------------

    async def rewards_of(self, db: AsyncSession, caller: Caller, user_id: uuid.UUID) -> RewardsOut:
        await self._check_member(caller.tenant_id, user_id)
        return await rewards_of(db, user_id)

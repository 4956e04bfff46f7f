"""Members' referral codes: one per member and program, made on first ask, with a share link.

Services flush and never commit; token claims are refreshed once the unit of work
has committed (:func:`~bizosaas.core.database.after_commit`).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import BadRequest, Conflict, Forbidden, NotFound
from bizosaas.core.members import MemberDirectory
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.referrals.conversion_repository import ConversionRepository
from bizosaas.gamification.referrals.models import ReferralCode, ReferralProgram
from bizosaas.gamification.referrals.programs import check_open, find_program
from bizosaas.gamification.referrals.repository import (
    CodeRepository,
    ProgramRepository,
    VisitRepository,
)
from bizosaas.gamification.referrals.schemas import (
    CodeOut,
    ProgramStanding,
    ReferralDashboard,
    Reward,
    Tier,
    TierProgress,
)

# No 0/O, 1/I/L: a code read aloud or copied by hand survives.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_SUFFIX = 4
CODE_PREFIX_MAX = 8
CODE_ATTEMPTS = 12


def code_prefix(name: str) -> str:
    """The first word of a name in plain capitals (accents dropped), or REF."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", plain)
    return words[0][:CODE_PREFIX_MAX].upper() if words else "REF"


def new_code(prefix: str) -> str:
    return f"{prefix}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SUFFIX))}"


class ReferralCodes:
    def __init__(self, directory: MemberDirectory, members: MemberService, public_url: str) -> None:
        self.directory = directory
        self.members = members
        self.public_url = public_url.rstrip("/")

    def code_out(self, code: ReferralCode) -> CodeOut:
        result = CodeOut.model_validate(code)
        result.share_url = f"{self.public_url}/r/{code.code}"
        return result

    async def _default_program(self, db: AsyncSession) -> ReferralProgram:
        active = await ProgramRepository(db).list_programs("active")
        if len(active) != 1:
            raise BadRequest(
                "The tenant has no active referral program."
                if not active
                else "The tenant has several active referral programs; send program_id."
            )
        return active[0]

    async def generate(
        self, db: AsyncSession, caller: Caller, program_id: uuid.UUID | None
    ) -> CodeOut:
        """The member's code for the program: the same one every time, made on first ask."""
        user_id = caller.require_member()
        tenant_id = caller.tenant_id
        codes = CodeRepository(db)
        if program_id is None:
            program = await self._default_program(db)
        else:
            program = await find_program(db, program_id)
        existing = await codes.member_code(program.id, user_id)
        if existing is not None and existing.active:
            return self.code_out(existing)
        check_open(program, utcnow())
        info = await self.directory.get(user_id)
        prefix = code_prefix(info.display_name if info else "")
        now = utcnow()
        for _ in range(CODE_ATTEMPTS):
            text = new_code(prefix)
            if existing is not None:
                done = await codes.replace_text(existing.id, text, now)
            else:
                done = await codes.insert(program.id, user_id, text, now)
            if done:
                break
            raced = await codes.member_code(program.id, user_id)
            if existing is None and raced is not None:  # the member's other request won
                return self.code_out(raced)
        else:
            raise Conflict("Could not find a free referral code; try again.")
        code = await codes.member_code(program.id, user_id)
        assert code is not None
        await db.refresh(code)
        await self.members.ensure(db, tenant_id, [user_id])
        await codes.set_member_code(user_id, code.code)

        async def publish() -> None:
            await self.members.publish_claims(tenant_id, [user_id])

        after_commit(db, publish)
        return self.code_out(code)

    async def deactivate(self, db: AsyncSession, caller: Caller, code_id: uuid.UUID) -> CodeOut:
        codes = CodeRepository(db)
        code = await codes.by_id(code_id)
        if code is None:
            raise NotFound("No such referral code.")
        if code.user_id != caller.user_id and not caller.is_tenant_admin:
            raise Forbidden("Only the code's owner or a tenant admin may deactivate it.")
        if not code.active:
            return self.code_out(code)
        code.active = False
        code.deactivated_at = code.updated_at = utcnow()
        await db.flush()
        await codes.set_member_code(code.user_id, None)
        tenant_id, owner = caller.tenant_id, code.user_id

        async def publish() -> None:
            await self.members.publish_claims(tenant_id, [owner])

        after_commit(db, publish)
        return self.code_out(code)

    async def my_codes(self, db: AsyncSession, caller: Caller) -> list[CodeOut]:
        codes = await CodeRepository(db).of_member(caller.require_member())
        return [self.code_out(c) for c in codes]

    async def dashboard(self, db: AsyncSession, caller: Caller) -> ReferralDashboard:
        """Each active program with the member's code, funnel and tier progress."""
        user_id = caller.require_member()
        programs = await ProgramRepository(db).list_programs("active")
        codes = {c.program_id: c for c in await CodeRepository(db).of_member(user_id)}
        funnel = await VisitRepository(db).funnel([c.id for c in codes.values()])
        counts = await ConversionRepository(db).counts_of_referrer(user_id)
        standings = []
        for program in programs:
            code = codes.get(program.id)
            by_status = {s: n for (p, s), n in counts.items() if p == program.id}
            standings.append(
                ProgramStanding(
                    program_id=program.id,
                    name=program.name,
                    platform=program.platform,
                    share_message=program.share_message,
                    referrer_reward=Reward.model_validate(program.referrer_reward),
                    referee_reward=Reward.model_validate(program.referee_reward)
                    if program.referee_reward
                    else None,
                    code=self.code_out(code) if code and code.active else None,
                    clicks=funnel.get((code.id, "click"), 0) if code else 0,
                    signups=funnel.get((code.id, "signup"), 0) if code else 0,
                    conversions=by_status,
                    tier=tier_progress(program, by_status.get("approved", 0)),
                )
            )
        return ReferralDashboard(programs=standings)


def tier_progress(program: ReferralProgram, approved: int) -> TierProgress:
    tiers = [Tier.model_validate(t) for t in program.tiers]
    reached = [t for t in tiers if t.min_referrals <= approved]
    ahead = [t for t in tiers if t.min_referrals > approved]
    return TierProgress(
        approved=approved,
        reached=reached[-1] if reached else None,
        next=ahead[0] if ahead else None,
        to_next=ahead[0].min_referrals - approved if ahead else None,
    )

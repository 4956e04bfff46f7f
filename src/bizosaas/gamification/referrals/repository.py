"""The SQL of referral programs, codes and visits (conversions: :mod:`.conversion_repository`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.gamification.members.models import Member
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
    ReferralVisit,
)

# -- programs ---------------------------------------------------------------------------


async def get_program(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, *, lock: bool = False
) -> ReferralProgram | None:
    query = select(ReferralProgram).where(
        ReferralProgram.tenant_id == tenant_id, ReferralProgram.id == program_id
    )
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def list_programs(
    db: AsyncSession, tenant_id: uuid.UUID, status: str | None = None
) -> Sequence[ReferralProgram]:
    query = select(ReferralProgram).where(ReferralProgram.tenant_id == tenant_id)
    if status is not None:
        query = query.where(ReferralProgram.status == status)
    return (await db.execute(query.order_by(ReferralProgram.created_at))).scalars().all()


async def program_has_conversions(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID
) -> bool:
    found = await db.execute(
        select(ReferralConversion.id)
        .where(
            ReferralConversion.tenant_id == tenant_id,
            ReferralConversion.program_id == program_id,
        )
        .limit(1)
    )
    return found.first() is not None


# -- codes ------------------------------------------------------------------------------


async def code_by_text(db: AsyncSession, tenant_id: uuid.UUID, code: str) -> ReferralCode | None:
    return (
        await db.execute(
            select(ReferralCode).where(
                ReferralCode.tenant_id == tenant_id, ReferralCode.code == code.upper()
            )
        )
    ).scalar_one_or_none()


async def code_by_id(
    db: AsyncSession, tenant_id: uuid.UUID, code_id: uuid.UUID
) -> ReferralCode | None:
    return (
        await db.execute(
            select(ReferralCode).where(
                ReferralCode.tenant_id == tenant_id, ReferralCode.id == code_id
            )
        )
    ).scalar_one_or_none()


async def code_of(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, user_id: uuid.UUID
) -> ReferralCode | None:
    return (
        await db.execute(
            select(ReferralCode).where(
                ReferralCode.tenant_id == tenant_id,
                ReferralCode.program_id == program_id,
                ReferralCode.user_id == user_id,
            )
        )
    ).scalar_one_or_none()


async def insert_code(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    user_id: uuid.UUID,
    code: str,
    now: datetime,
) -> bool:
    """False when the member already has a code for the program or the text is taken."""
    result = await db.execute(
        insert(ReferralCode)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            program_id=program_id,
            user_id=user_id,
            code=code,
            active=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ReferralCode.id)
    )
    return result.first() is not None


async def replace_code(
    db: AsyncSession, tenant_id: uuid.UUID, code_id: uuid.UUID, code: str, now: datetime
) -> bool:
    """Give a deactivated code fresh text (the leaked one stays dead); False on a collision."""
    result = await db.execute(
        text(
            """
            UPDATE referral_codes SET code = :code, active = true, deactivated_at = NULL,
                                      updated_at = :now
            WHERE tenant_id = :tenant_id AND id = :id
              AND NOT EXISTS (SELECT 1 FROM referral_codes
                              WHERE tenant_id = :tenant_id AND code = :code)
            RETURNING id
            """
        ),
        {"code": code, "now": now, "tenant_id": tenant_id, "id": code_id},
    )
    return result.first() is not None


async def codes_of_user(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[ReferralCode]:
    return (
        (
            await db.execute(
                select(ReferralCode)
                .where(ReferralCode.tenant_id == tenant_id, ReferralCode.user_id == user_id)
                .order_by(ReferralCode.created_at)
            )
        )
        .scalars()
        .all()
    )


async def set_member_code(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str | None
) -> None:
    await db.execute(
        update(Member)
        .where(Member.tenant_id == tenant_id, Member.user_id == user_id)
        .values(referral_code=code)
    )


# -- visits -----------------------------------------------------------------------------


async def insert_visit(db: AsyncSession, visit: ReferralVisit) -> ReferralVisit:
    db.add(visit)
    await db.flush()
    return visit


async def attribution_visit(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    code_ids: Sequence[uuid.UUID],
    referee_id: uuid.UUID,
    ip: str | None,
    device: str | None,
) -> ReferralVisit | None:
    """The referee's latest signup with one of these codes, else the latest click from the
    referee's IP or device."""
    signup = (
        await db.execute(
            select(ReferralVisit)
            .where(
                ReferralVisit.tenant_id == tenant_id,
                ReferralVisit.code_id.in_(code_ids),
                ReferralVisit.kind == "signup",
                ReferralVisit.referee_id == referee_id,
            )
            .order_by(ReferralVisit.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if signup is not None or (ip is None and device is None):
        return signup
    matches = []
    if ip is not None:
        matches.append(ReferralVisit.ip == ip)
    if device is not None:
        matches.append(ReferralVisit.device_fingerprint == device)
    return (
        await db.execute(
            select(ReferralVisit)
            .where(
                ReferralVisit.tenant_id == tenant_id,
                ReferralVisit.code_id.in_(code_ids),
                ReferralVisit.kind == "click",
                or_(*matches),
            )
            .order_by(ReferralVisit.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def program_code_ids(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        (
            await db.execute(
                select(ReferralCode.id).where(
                    ReferralCode.tenant_id == tenant_id, ReferralCode.program_id == program_id
                )
            )
        ).scalars()
    )


async def unconverted_signups(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    referees: set[uuid.UUID],
    program_ids: Sequence[uuid.UUID],
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(program, referee) of the referees who signed up with a program's code and have not
    converted in it yet."""
    rows = await db.execute(
        _UNCONVERTED,
        {"tenant_id": tenant_id, "referees": sorted(referees), "programs": list(program_ids)},
    )
    return {(program_id, referee_id) for program_id, referee_id in rows}


async def forget_visits(db: AsyncSession, tenant_id: uuid.UUID, referee_id: uuid.UUID) -> None:
    await db.execute(
        delete(ReferralVisit).where(
            ReferralVisit.tenant_id == tenant_id, ReferralVisit.referee_id == referee_id
        )
    )


_UNCONVERTED = text(
    """
    SELECT DISTINCT c.program_id, v.referee_id
    FROM referral_visits v
    JOIN referral_codes c ON c.tenant_id = v.tenant_id AND c.id = v.code_id
    WHERE v.tenant_id = :tenant_id AND v.kind = 'signup'
      AND v.referee_id = ANY(CAST(:referees AS uuid[]))
      AND c.program_id = ANY(CAST(:programs AS uuid[]))
      AND NOT EXISTS (
          SELECT 1 FROM referral_conversions r
          WHERE r.tenant_id = v.tenant_id AND r.program_id = c.program_id
            AND r.referee_id = v.referee_id)
    """
)

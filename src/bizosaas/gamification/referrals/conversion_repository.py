"""The SQL of referral conversions: recording, review queues, caps and fraud signals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.gamification.referrals.models import (
    ReferralConversion,
)

# -- conversions ------------------------------------------------------------------------


async def insert_conversion(db: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """The new conversion's id, or None when this referee already converted in the program."""
    result = await db.execute(
        insert(ReferralConversion)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "program_id", "referee_id"],
        )
        .returning(ReferralConversion.id)
    )
    return result.scalar_one_or_none()


async def conversion_of(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, referee_id: uuid.UUID
) -> ReferralConversion | None:
    return (
        await db.execute(
            select(ReferralConversion).where(
                ReferralConversion.tenant_id == tenant_id,
                ReferralConversion.program_id == program_id,
                ReferralConversion.referee_id == referee_id,
            )
        )
    ).scalar_one_or_none()


async def get_conversion(
    db: AsyncSession, tenant_id: uuid.UUID, conversion_id: uuid.UUID, *, lock: bool = False
) -> ReferralConversion | None:
    query = select(ReferralConversion).where(
        ReferralConversion.tenant_id == tenant_id, ReferralConversion.id == conversion_id
    )
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def list_conversions(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    referrer_id: uuid.UUID | None = None,
    limit: int = 100,
) -> Sequence[ReferralConversion]:
    query = select(ReferralConversion).where(ReferralConversion.tenant_id == tenant_id)
    if status is not None:
        query = query.where(ReferralConversion.status == status)
    if referrer_id is not None:
        query = query.where(ReferralConversion.referrer_id == referrer_id)
    query = query.order_by(ReferralConversion.converted_at.desc()).limit(limit)
    return (await db.execute(query)).scalars().all()


async def conversions_since(
    db: AsyncSession, tenant_id: uuid.UUID, code_id: uuid.UUID, since: datetime
) -> int:
    return int(
        (
            await db.execute(
                select(func.count()).where(
                    ReferralConversion.tenant_id == tenant_id,
                    ReferralConversion.code_id == code_id,
                    ReferralConversion.created_at >= since,
                )
            )
        ).scalar_one()
    )


async def approved_count(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    referrer_id: uuid.UUID,
    *,
    since: datetime | None = None,
    excluding: uuid.UUID | None = None,
) -> int:
    query = select(func.count()).where(
        ReferralConversion.tenant_id == tenant_id,
        ReferralConversion.program_id == program_id,
        ReferralConversion.referrer_id == referrer_id,
        ReferralConversion.status == "approved",
    )
    if since is not None:
        query = query.where(ReferralConversion.converted_at >= since)
    if excluding is not None:
        query = query.where(ReferralConversion.id != excluding)
    return int((await db.execute(query)).scalar_one())


async def referrer_footprint(
    db: AsyncSession, tenant_id: uuid.UUID, referrer_id: uuid.UUID
) -> tuple[set[str], set[str]]:
    """IPs and devices the referrer itself was seen with (its own visits and conversions
    as a referee)."""
    rows = (
        await db.execute(
            text(
                """
                SELECT host(ip), device_fingerprint FROM referral_visits
                WHERE tenant_id = :tenant_id AND referee_id = :user_id
                UNION
                SELECT host(ip), device_fingerprint FROM referral_conversions
                WHERE tenant_id = :tenant_id AND referee_id = :user_id
                """
            ),
            {"tenant_id": tenant_id, "user_id": referrer_id},
        )
    ).all()
    return {r[0] for r in rows if r[0]}, {r[1] for r in rows if r[1]}


async def code_neighbours(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    code_id: uuid.UUID,
    referee_id: uuid.UUID,
    ip: str | None,
    device: str | None,
) -> tuple[int, int, list[str]]:
    """How many other referees of the code shared the IP, the device; their emails."""
    row = (
        await db.execute(
            text(
                """
                WITH others AS (
                    SELECT referee_id, host(ip) AS ip, device_fingerprint AS device,
                           NULL::text AS email
                    FROM referral_visits
                    WHERE tenant_id = :tenant_id AND code_id = :code_id
                      AND referee_id IS NOT NULL AND referee_id <> :referee_id
                    UNION ALL
                    SELECT referee_id, host(ip), device_fingerprint, referee_email
                    FROM referral_conversions
                    WHERE tenant_id = :tenant_id AND code_id = :code_id
                      AND referee_id <> :referee_id
                )
                SELECT count(DISTINCT referee_id) FILTER (WHERE ip = :ip),
                       count(DISTINCT referee_id) FILTER (WHERE device = :device),
                       coalesce(array_agg(DISTINCT email) FILTER (WHERE email IS NOT NULL),
                                '{}')
                FROM others
                """
            ),
            {
                "tenant_id": tenant_id,
                "code_id": code_id,
                "referee_id": referee_id,
                "ip": ip,
                "device": device,
            },
        )
    ).one()
    return int(row[0]), int(row[1]), list(row[2])


async def lock_referrer(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, referrer_id: uuid.UUID
) -> None:
    """Serialise approvals of one referrer in one program (caps and tiers count them)."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"referrals:{tenant_id}:{program_id}:{referrer_id}"},
    )

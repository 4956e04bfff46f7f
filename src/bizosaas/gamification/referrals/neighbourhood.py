"""What is known about a conversion's neighbourhood when it is scored: the referrer's own
devices and addresses, the code's earlier referees and what bound them, other accounts on
the same device or address, the referrer's record, and the referral tree below the referee
(where a ring would close).

Every figure here means what :mod:`.fraud_model.traffic` means by it, so the model reads
live conversions as it read the traffic it learnt from. Each query is bounded: a code with
thousands of referees or a tree thousands deep costs a capped read, never a scan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from bizosaas.core.repository import TenantQueries
from bizosaas.gamification.referrals.fraud import Signals, normalise_email
from bizosaas.gamification.referrals.fraud_model.features import RING_DEPTH
from bizosaas.gamification.referrals.models import ReferralCode

MAX_REFEREES = 2000  # of one code, newest first
MAX_EDGES = 2000  # of the tree below the referee

_FOOTPRINT = text(
    """
    SELECT host(ip), device_fingerprint FROM referral_visits
    WHERE tenant_id = :tenant_id AND referee_id = :user_id
    UNION
    SELECT host(ip), device_fingerprint FROM referral_conversions
    WHERE tenant_id = :tenant_id AND referee_id = :user_id
    """
)
# The code's earlier referees: signed up with it, or converted through it (with when).
_REFEREES = text(
    """
    SELECT referee_id, host(ip), device_fingerprint, NULL::text, NULL::timestamptz
    FROM referral_visits
    WHERE tenant_id = :tenant_id AND code_id = :code_id
      AND referee_id IS NOT NULL AND referee_id <> :referee_id
    UNION ALL
    (SELECT referee_id, host(ip), device_fingerprint, referee_email, created_at
     FROM referral_conversions
     WHERE tenant_id = :tenant_id AND code_id = :code_id AND referee_id <> :referee_id
     ORDER BY created_at DESC LIMIT :limit)
    LIMIT :limit * 2
    """
)
# Other accounts of the tenant seen on the device, behind the address.
_ACCOUNTS = text(
    """
    WITH seen AS (
        SELECT referee_id AS account, host(ip) AS ip, device_fingerprint AS device
        FROM referral_visits
        WHERE tenant_id = :tenant_id AND referee_id IS NOT NULL
          AND (device_fingerprint = :device OR ip = CAST(:address AS inet))
        UNION
        SELECT referee_id, host(ip), device_fingerprint FROM referral_conversions
        WHERE tenant_id = :tenant_id
          AND (device_fingerprint = :device OR ip = CAST(:address AS inet))
    )
    SELECT count(DISTINCT account) FILTER (WHERE device = :device AND account <> :referee_id),
           count(DISTINCT account) FILTER (WHERE ip = :ip AND account <> :referee_id)
    FROM seen
    """
)
_OUTCOMES = text(
    """
    SELECT count(*) FILTER (WHERE status = 'approved'),
           count(*) FILTER (WHERE status = 'rejected')
    FROM referral_conversions
    WHERE tenant_id = :tenant_id AND program_id = :program_id AND referrer_id = :referrer_id
      AND id IS DISTINCT FROM CAST(:itself AS uuid)
    """
)
# Referrals below the referee, as deep as a ring is looked for.
_TREE = text(
    """
    WITH RECURSIVE below(referrer_id, referee_id, depth) AS (
        SELECT referrer_id, referee_id, 1 FROM referral_conversions
        WHERE tenant_id = :tenant_id AND referrer_id = :referee_id
        UNION
        SELECT c.referrer_id, c.referee_id, b.depth + 1
        FROM referral_conversions c JOIN below b ON c.referrer_id = b.referee_id
        WHERE c.tenant_id = :tenant_id AND b.depth < :depth
    )
    SELECT DISTINCT referrer_id, referee_id FROM below LIMIT :limit
    """
)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The conversion being scored, as the request and the attribution told it."""

    code: ReferralCode
    program_id: uuid.UUID
    referee_id: uuid.UUID
    referrer_name: str
    referee_name: str
    referrer_email: str | None
    referee_email: str | None
    ip: str | None
    device: str | None
    visit_at: datetime | None  # the attributed click or sign-up
    occurred_at: datetime
    now: datetime
    itself: uuid.UUID | None = None  # when an existing conversion is scored again


class Neighbourhood(TenantQueries):
    async def signals(self, c: Conversion) -> Signals:
        tenant = {"tenant_id": self.tenant_id}
        footprint = (
            await self.session.execute(_FOOTPRINT, {**tenant, "user_id": c.code.user_id})
        ).all()
        referees = (
            await self.session.execute(
                _REFEREES,
                {
                    **tenant,
                    "code_id": c.code.id,
                    "referee_id": c.referee_id,
                    "limit": MAX_REFEREES,
                },
            )
        ).all()
        device_accounts = ip_accounts = 0
        if c.device or c.ip:
            device_accounts, ip_accounts = (
                await self.session.execute(
                    _ACCOUNTS,
                    {
                        **tenant,
                        "device": c.device,
                        "ip": c.ip,
                        "address": c.ip,
                        "referee_id": c.referee_id,
                    },
                )
            ).one()
        approved, rejected = (
            await self.session.execute(
                _OUTCOMES,
                {
                    **tenant,
                    "program_id": c.program_id,
                    "referrer_id": c.code.user_id,
                    "itself": c.itself,
                },
            )
        ).one()
        edges = (
            await self.session.execute(
                _TREE,
                {**tenant, "referee_id": c.referee_id, "depth": RING_DEPTH, "limit": MAX_EDGES},
            )
        ).all()
        converted = [(when, email) for _, _, _, email, when in referees if when is not None]
        links: list[tuple[uuid.UUID, str]] = []
        for referee, ip, device, _, _ in referees:
            links += [(referee, f"device:{device}")] if device else []
            links += [(referee, f"ip:{ip}")] if ip else []
        return Signals(
            referrer_id=c.code.user_id,
            referee_id=c.referee_id,
            referrer_name=c.referrer_name,
            referee_name=c.referee_name,
            referrer_email=c.referrer_email,
            referee_email=c.referee_email,
            ip=c.ip,
            device_fingerprint=c.device,
            referrer_ips=frozenset(ip for ip, _ in footprint if ip),
            referrer_devices=frozenset(device for _, device in footprint if device),
            referees_on_ip=len({r[0] for r in referees if c.ip and r[1] == c.ip}),
            referees_on_device=len({r[0] for r in referees if c.device and r[2] == c.device}),
            device_accounts=int(device_accounts) if c.device else 0,
            ip_accounts=int(ip_accounts) if c.ip else 0,
            earlier_referee_emails=frozenset(normalise_email(e) for _, e in converted if e),
            conversions_last_hour=sum(1 for when, _ in converted if when >= c.now - _HOUR),
            conversions_last_day=sum(1 for when, _ in converted if when >= c.now - _DAY),
            seconds_since_visit=(
                max(0.0, (c.occurred_at - c.visit_at).total_seconds()) if c.visit_at else None
            ),
            code_age_seconds=max(0.0, (c.now - c.code.created_at).total_seconds()),
            referrer_approved=int(approved),
            referrer_rejected=int(rejected),
            referral_edges=tuple((a, b) for a, b in edges),
            code_links=tuple(dict.fromkeys(links)),
        )


_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)

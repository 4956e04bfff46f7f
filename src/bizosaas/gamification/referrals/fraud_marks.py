"""Learning across tenants without sharing their data: when a tenant admin rejects a held
conversion as fraud, its device, address and email domain are marked; a conversion in
another tenant from a marked device, address or domain scores higher, and says so.

A mark holds a keyed hash (HMAC-SHA256 under the platform's key, kept in Vault), the
tenant's id, and two counts: the tenant admins' verdicts of fraud and of honesty. No
tenant can read another's device or address back from a hash, nor learn which tenant
marked it: the reason names only how many others did. A mark counts once its tenant
found more fraud than honesty in it, and it stops counting if other tenants found the
value honest as often as fraudulent (a busy carrier address, a university's domain).
Webmail providers' domains are never marked: they say nothing about a person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import tenant_of, utcnow
from bizosaas.core.runtime import Runtime
from bizosaas.gamification.referrals.fraud import Reason, is_disposable, normalise_email
from bizosaas.gamification.referrals.models import FraudMark

VAULT_NAME = "fraud-marks"
WEIGHTS = {"device": 0.5, "domain": 0.45, "ip": 0.3}
WHAT = {"device": "device", "domain": "email domain", "ip": "address"}
# Domains shared by millions of people: a verdict on one user says nothing about the rest.
WEBMAIL = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
        "zoho.com",
    }
)
_READ = text(
    """
    SELECT kind,
           count(DISTINCT tenant_id) FILTER (WHERE fraud > honest),
           count(DISTINCT tenant_id) FILTER (WHERE honest >= fraud)
    FROM fraud_marks
    WHERE tenant_id <> :tenant_id
      AND (kind, digest) IN (
          SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:digests AS bytea[]))
      )
    GROUP BY kind
    """
)


class FraudMarks:
    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    async def start(cls, runtime: Runtime) -> FraudMarks:
        """With the platform's key from Vault, made on first use."""
        stored = await runtime.secrets.get_or_create(
            VAULT_NAME, lambda: {"key": secrets.token_hex(32)}
        )
        return cls(bytes.fromhex(stored["key"]))

    def digests(self, *, device: str | None, ip: str | None, email: str | None) -> dict[str, bytes]:
        values = {"device": device, "ip": ip, "domain": _domain(email)}
        return {
            kind: hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
            for kind, value in values.items()
            if value
        }

    async def record(self, db: AsyncSession, digests: dict[str, bytes], *, fraud: bool) -> None:
        """A tenant admin's verdict on a conversion, against its device, address and domain."""
        if not digests:
            return
        column = "fraud" if fraud else "honest"
        statement = insert(FraudMark).values(
            [
                {
                    "kind": kind,
                    "digest": digest,
                    "tenant_id": tenant_of(db),
                    "fraud": int(fraud),
                    "honest": int(not fraud),
                    "updated_at": utcnow(),
                }
                for kind, digest in sorted(digests.items())
            ]
        )
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=["kind", "digest", "tenant_id"],
                set_={
                    column: getattr(FraudMark, column) + 1,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    async def reasons(self, db: AsyncSession, digests: dict[str, bytes]) -> list[Reason]:
        """What other tenants found about this conversion's device, address and domain."""
        if not digests:
            return []
        kinds = sorted(digests)
        rows = await db.execute(
            _READ,
            {
                "tenant_id": tenant_of(db),
                "kinds": kinds,
                "digests": [digests[k] for k in kinds],
            },
        )
        return [
            Reason(
                f"marked_{kind}",
                WEIGHTS[kind],
                f"This {WHAT[kind]} was found fraudulent in {_others(fraud)}.",
            )
            for kind, fraud, honest in sorted(rows.tuples())
            if fraud > honest
        ]


def _domain(email: str | None) -> str | None:
    if not email or is_disposable(email):  # a throwaway inbox has a rule of its own
        return None
    domain = normalise_email(email).rpartition("@")[2]
    return domain if domain and domain not in WEBMAIL else None


def _others(count: int) -> str:
    return "another organisation" if count == 1 else f"{count} other organisations"

"""All SQL of the wizard drafts: a person's own drafts in their tenant, nobody else's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, or_

from bizosaas.core.repository import TenantRepository
from bizosaas.wizards.models import WizardDraft


class WizardDrafts(TenantRepository[WizardDraft]):
    model = WizardDraft

    def mine(self, user_id: uuid.UUID) -> Select[tuple[WizardDraft]]:
        return self.statement().where(WizardDraft.user_id == user_id)

    async def one(
        self, user_id: uuid.UUID, draft_id: uuid.UUID, *, lock: bool = False
    ) -> WizardDraft | None:
        return await self.get(WizardDraft.user_id == user_id, WizardDraft.id == draft_id, lock=lock)

    async def open_one(self, user_id: uuid.UUID, wizard: str, now: datetime) -> WizardDraft | None:
        """The person's draft of ``wizard`` still being answered, if they have one."""
        found = await self.all(
            self.mine(user_id)
            .where(
                WizardDraft.wizard == wizard,
                WizardDraft.status == "open",
                WizardDraft.expires_at > now,
            )
            .order_by(WizardDraft.updated_at.desc())
            .limit(1)
        )
        return found[0] if found else None

    async def listed(self, user_id: uuid.UUID, now: datetime, limit: int) -> Sequence[WizardDraft]:
        """The person's drafts, newest first: open ones that have not expired, and finished."""
        return await self.all(
            self.mine(user_id)
            .where(or_(WizardDraft.status != "open", WizardDraft.expires_at > now))
            .order_by(WizardDraft.updated_at.desc())
            .limit(limit)
        )

    async def drop_expired(self, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
        """Delete the person's open drafts past their expiry; their ids (for Vault)."""
        gone = await self.session.execute(
            delete(WizardDraft)
            .where(
                WizardDraft.tenant_id == self.tenant_id,
                WizardDraft.user_id == user_id,
                WizardDraft.status == "open",
                WizardDraft.expires_at <= now,
            )
            .returning(WizardDraft.id)
        )
        return list(gone.scalars())

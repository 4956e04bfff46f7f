"""The wizard service's rules: drafts per tenant and person, saved step by step, finished
once.

* A person has at most one open draft per wizard: starting again resumes it, on any
  device. A draft expires ``expires_after`` its last save; an expired draft is gone
  (404), along with any secret it kept in Vault.
* Saving a step validates it (:meth:`Wizard.save`) before anything is kept. Its secret
  fields go to Vault under the tenant (never the draft); the draft keeps the rest.
* Finishing locks the draft (``FOR UPDATE``) for the whole finish, so a second submit, a
  double click or another tab waits for the first and then answers with its outcome:
  the result is applied once. A refusal takes back what was applied
  (:mod:`.applying`) and leaves the draft open at its review, as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import Conflict, NotFound
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.identity.principal import Principal
from bizosaas.web.api import VisitorApi
from bizosaas.wizards.applying import Finishing, draft_secrets_path
from bizosaas.wizards.catalogue import wizard_named
from bizosaas.wizards.models import WizardDraft
from bizosaas.wizards.repository import WizardDrafts

LISTED = 50
GONE = "There is no such draft (it may have expired: start the wizard again)."


@dataclass
class WizardService:
    vault: SecretStore
    settings: Settings

    async def start(
        self, db: AsyncSession, caller: Principal, key: str
    ) -> tuple[WizardDraft, bool]:
        """The caller's open draft of wizard ``key``, or a new one (and whether it is new)."""
        wizard = wizard_named(key)
        drafts = WizardDrafts(db)
        now = utcnow()
        self._forget_secrets(db, caller, await drafts.drop_expired(caller.user_id, now))
        found = await drafts.open_one(caller.user_id, key, now)
        if found is not None:
            return found, False
        draft = WizardDraft(
            id=uuid.uuid4(),
            user_id=caller.user_id,
            wizard=key,
            answers={},
            status="open",
            expires_at=now + wizard.expires_after,
        )
        drafts.add(draft)
        await db.flush()
        return draft, True

    async def listed(self, db: AsyncSession, caller: Principal) -> Sequence[WizardDraft]:
        return await WizardDrafts(db).listed(caller.user_id, utcnow(), LISTED)

    async def get(
        self, db: AsyncSession, caller: Principal, draft_id: uuid.UUID, *, lock: bool = False
    ) -> WizardDraft:
        draft = await WizardDrafts(db).one(caller.user_id, draft_id, lock=lock)
        if draft is None or (draft.status == "open" and draft.expires_at <= utcnow()):
            raise NotFound(GONE)
        return draft

    async def save_step(
        self,
        db: AsyncSession,
        caller: Principal,
        draft_id: uuid.UUID,
        step: str,
        typed: dict[str, Any],
    ) -> WizardDraft:
        """Keep one step's answer, or raise :class:`StepRefused` and keep nothing."""
        draft = await self.get(db, caller, draft_id, lock=True)
        _require_open(draft)
        wizard = wizard_named(draft.wizard)
        try:
            saved = wizard.save(draft.answers, step, typed)
        except KeyError:
            raise NotFound(f"The wizard has no step {step!r} to answer now.") from None
        if saved.secrets:  # Vault first: a draft never claims a secret that is not kept
            await self.vault.write(
                draft_secrets_path(caller_tenant(caller), draft.id), saved.secrets
            )
        draft.answers = saved.answers
        draft.expires_at = utcnow() + wizard.expires_after
        await db.flush()
        return draft

    async def finish(
        self, db: AsyncSession, caller: Principal, draft_id: uuid.UUID, api: VisitorApi
    ) -> WizardDraft:
        """Apply the draft's result once; a second call answers with the first's outcome (one
        kept to send later is sent again)."""
        draft = await self.get(db, caller, draft_id, lock=True)
        if draft.status == "finished":
            return draft
        # Open, or finished and waiting for a system to send it to: (try to) apply it now.
        wizard = wizard_named(draft.wizard)
        missing = wizard.next_step(draft.answers)
        if missing is not None:
            raise Conflict(f"“{missing.title}” is not answered yet.")
        finishing = self._finishing(caller, draft, api)
        try:
            outcome = await wizard.finish(finishing)
        except Exception:
            await finishing.take_back()
            raise
        draft.status = "waiting" if outcome.waiting else "finished"
        draft.outcome = outcome.as_json()
        draft.finished_at = utcnow()
        await db.flush()
        self._forget_secrets(db, caller, [draft.id])
        return draft

    async def suggest(
        self,
        db: AsyncSession,
        caller: Principal,
        draft_id: uuid.UUID,
        step: str,
        api: VisitorApi,
    ) -> dict[str, Any]:
        """A suggested answer to ``step`` (nothing is kept: the person edits, then saves)."""
        draft = await self.get(db, caller, draft_id)
        _require_open(draft)
        wizard = wizard_named(draft.wizard)
        planned = {s.key: s for s in wizard.plan(draft.answers)}
        target = planned.get(step)
        if target is None or target.suggest is None:
            raise NotFound(f"The wizard suggests no answer to {step!r}.")
        before = wizard.steps[: wizard.steps.index(target)]
        missing = [s.title for s in before if s.key in planned and s.key not in draft.answers]
        if missing:
            raise Conflict(f"Answer “{missing[0]}” first: the suggestion is made from it.")
        return await target.suggest(self._finishing(caller, draft, api))

    def _finishing(self, caller: Principal, draft: WizardDraft, api: VisitorApi) -> Finishing:
        return Finishing(
            draft_id=draft.id,
            tenant_id=caller_tenant(caller),
            user_id=caller.user_id,
            answers=draft.answers,
            api=api,
            vault=self.vault,
            settings=self.settings,
        )

    async def discard(self, db: AsyncSession, caller: Principal, draft_id: uuid.UUID) -> None:
        draft = await self.get(db, caller, draft_id, lock=True)
        _require_open(draft)
        await db.delete(draft)
        await db.flush()
        self._forget_secrets(db, caller, [draft.id])

    async def revealed(self, draft: WizardDraft) -> dict[str, Any] | None:
        """The draft's outcome as its owner sees it: a value kept in Vault (``vault:path#key``)
        is read from there, so the database never holds it."""
        if draft.outcome is None:
            return None
        shown: dict[str, str] = {}
        for label, value in draft.outcome.get("shown", {}).items():
            if value.startswith("vault:"):
                path, _, name = value.removeprefix("vault:").partition("#")
                kept = await self.vault.read(path) or {}
                value = str(kept.get(name, "(no longer kept)"))
            shown[label] = value
        return {**draft.outcome, "shown": shown}

    def _forget_secrets(
        self, db: AsyncSession, caller: Principal, drafts: Sequence[uuid.UUID]
    ) -> None:
        tenant = caller_tenant(caller)
        for draft_id in drafts:
            path = draft_secrets_path(tenant, draft_id)
            after_commit(db, lambda path=path: self.vault.delete(path))  # type: ignore[misc]


def caller_tenant(caller: Principal) -> uuid.UUID:
    assert caller.tenant_id is not None  # the dependencies admit tenant admins only
    return caller.tenant_id


def _require_open(draft: WizardDraft) -> None:
    if draft.status != "open":
        raise Conflict("This wizard is finished; start it again to make another.")

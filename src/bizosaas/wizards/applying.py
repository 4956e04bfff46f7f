"""What a wizard's finish works with: the answers, the caller's own way into the platform,
and the draft's secrets in Vault; and how it applies all or nothing.

A finish applies its result through the services, over the Brain Gateway, with the
caller's own credentials, so their rules, permissions and audit log apply exactly as to
any API client; nothing here writes another service's tables. Each call that changed
something registers how to take it back (:meth:`Finishing.undo_with`); when a later
call is refused, what was applied is taken back in reverse order and the person is told
that nothing was applied, and why.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bizosaas.core.errors import AppError, ServiceUnavailable
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.web.api import ApiError, VisitorApi
from bizosaas.wizards.engine import Answers

log = logging.getLogger("bizosaas.wizards")
Undo = Callable[[], Awaitable[Any]]


def draft_secrets_path(tenant_id: uuid.UUID, draft_id: uuid.UUID) -> str:
    """Where a draft's secret answers wait in Vault until the wizard is finished."""
    return f"tenants/{tenant_id}/wizard-drafts/{draft_id}"


class NotApplied(AppError):
    """A service refused part of the result: nothing of it was applied."""

    status_code = 409


@dataclass
class Finishing:
    draft_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    answers: Answers
    api: VisitorApi
    vault: SecretStore
    settings: Settings
    _undo: list[tuple[str, Undo]] = field(default_factory=list)

    async def secrets(self) -> dict[str, str]:
        """The secret answers kept in Vault for this draft (empty if none)."""
        return await self.vault.read(draft_secrets_path(self.tenant_id, self.draft_id)) or {}

    def undo_with(self, what: str, undo: Undo) -> None:
        """How to take back what was just applied, should a later part be refused."""
        self._undo.append((what, undo))

    async def call(self, what: str, method: str, path: str, body: Any = None) -> Any:
        """One call through the gateway as the caller; a refusal names ``what`` was refused."""
        try:
            return await self.api.call(method, path, json=body)
        except ApiError as refused:
            detail = refused.detail
            if refused.fields:
                detail = "; ".join(f"{k}: {v}" for k, v in refused.fields.items())
            if refused.status >= 500:
                raise ServiceUnavailable(
                    f"{what}: the platform did not answer ({refused.detail}). Nothing was "
                    "applied; try again."
                ) from None
            raise NotApplied(f"{what} was refused: {detail} Nothing was applied.") from None

    async def send_elsewhere(self, what: str, path: str, body: Any) -> str | None:
        """Send the result to another system through the gateway, once (the draft's id is
        the ``Idempotency-Key``, so sending again never makes two): None once it took it;
        why not, while it is not configured or not answering (the finished draft is kept to
        send later); :class:`NotApplied` when it refuses the result."""
        try:
            await self.api.call(
                "POST", path, json=body, headers={"idempotency-key": str(self.draft_id)}
            )
        except ApiError as refused:
            if refused.status not in (502, 503, 504):
                raise NotApplied(f"{what} refused it: {refused.detail}") from None
            return refused.detail
        return None

    async def take_back(self) -> None:
        """Undo what was applied, newest first; what cannot be undone is logged."""
        while self._undo:
            what, undo = self._undo.pop()
            try:
                await undo()
            except Exception:
                log.exception("could not take back %s of wizard draft %s", what, self.draft_id)

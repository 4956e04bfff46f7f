"""The words of a generated showcase: the figures and the template's draft go to a writer,
which returns the text to store as a draft. The deterministic writer returns the draft
itself; a language model (``gamification.agents.writers``) may write it anew."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from bizosaas.gamification.portfolios.schemas import PortfolioText

DETERMINISTIC = "deterministic writer"


@dataclass(frozen=True)
class ShowcaseBrief:
    """What a writer is told: whose showcase, its subject, the figures before and after,
    and the template's draft to improve on."""

    tenant_id: uuid.UUID
    subject: str
    figures: list[str]  # "Orders: 12 → 30 (+150%)"
    draft: PortfolioText


class Writer(Protocol):
    name: str

    async def showcase(self, brief: ShowcaseBrief) -> PortfolioText: ...


class DeterministicWriter:
    """The templates' own draft: the same figures always give the same words."""

    name = DETERMINISTIC

    async def showcase(self, brief: ShowcaseBrief) -> PortfolioText:
        return brief.draft

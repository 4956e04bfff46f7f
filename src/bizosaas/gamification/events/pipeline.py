"""What an event handler sees and may produce while a batch of events is processed.

The processor takes one tenant's pending events, in arrival order, and runs every
:class:`EventHandler` over them inside one transaction, then marks them processed
in the same transaction: a batch is applied entirely or not at all, so a crash
between storing and processing loses nothing and counts nothing twice.

Handlers run in a fixed order (achievements, then leaderboards): later handlers
read what earlier ones derived (points awarded by unlocks). Side effects outside
PostgreSQL (rank caches, pub/sub) are handed to the unit of work with
:func:`~bizosaas.core.database.after_commit` and run after the commit; anything in
Redis must be written as absolute values, so running them twice, or again in a
replay, is harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Event:
    """An event as handlers see it (stored, or about to be stored when checked)."""

    event_id: str
    type: str
    user_id: uuid.UUID
    properties: dict[str, Any]
    occurred_at: datetime
    seq: int = 0  # arrival order; 0 before the event is stored


@dataclass(frozen=True, slots=True)
class PointsAwarded:
    """Points a member earned while this batch was processed (for points boards)."""

    user_id: uuid.UUID
    points: int
    occurred_at: datetime
    key: str  # stable, e.g. "unlock:<achievement>:<level>": names the award in logs


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    user_id: uuid.UUID
    kind: str  # achievement_unlocked, leaderboard_top10, referral_converted, reward_granted
    title: str
    body: str
    data: dict[str, Any]
    dedupe_key: str  # the same key twice (a replay) notifies once


@dataclass
class Batch:
    tenant_id: uuid.UUID
    events: Sequence[Event]
    replay: bool = False
    # A replay with --since: state derived from events before this instant was kept.
    replay_since: datetime | None = None
    points: list[PointsAwarded] = field(default_factory=list)
    notifications: list[NotificationDraft] = field(default_factory=list)
    # Members whose token-claim figures (achievement count, main rank, …) may have changed.
    touched_members: set[uuid.UUID] = field(default_factory=set)

    def notify(self, draft: NotificationDraft) -> None:
        self.notifications.append(draft)

    def award_points(self, award: PointsAwarded) -> None:
        self.points.append(award)


class EventHandler(Protocol):
    name: str

    async def check(self, db: AsyncSession, tenant_id: uuid.UUID, events: Sequence[Event]) -> None:
        """Refuse, before anything is stored, events that can never be applied (raise AppError)."""

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        """Apply the batch's events to this domain's state (flush, never commit)."""

    async def reset(self, db: AsyncSession, tenant_id: uuid.UUID, since: datetime | None) -> None:
        """Before a replay: forget this domain's derived state (from `since`, or all of it)."""

    async def after_reset(self, tenant_id: uuid.UUID) -> None:
        """After a replay's reset committed: drop caches (e.g. Redis ranks) of the old state."""

    async def erase(self, db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Forget a member entirely (rows now, caches after the commit)."""


def as_decimal(value: Any) -> Decimal | None:
    """A numeric event property as a Decimal, or None (bools and non-numbers are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return None
    return None

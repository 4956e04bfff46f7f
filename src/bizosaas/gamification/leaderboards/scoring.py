"""What a board counts, and how one contribution changes a member's standing.

Pure functions, shared by the ingest-time check and by processing, so both judge a
score change the same way. Every operator is order-independent over a period
(sums, counts, maxima, latest-by-occurred_at), so a replay reaches the same scores.

``reached_at`` is when the current score was reached — the tie-break, earlier first:
for sums and counts the latest contributing ``occurred_at``; for maxima the earliest
event that reached the maximum; for ``latest`` the ``occurred_at`` of that event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bizosaas.gamification.events.pipeline import Event, as_decimal
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.periods import ALL_TIME_START, Schedule

REFERRAL_EVENT = "referral.converted"
METRICS = ("points", "referrals", "event")
OPERATORS = ("sum", "max", "latest", "count")
FILTER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists")
ONE = Decimal(1)
ZERO = Decimal(0)
QUANTUM = Decimal("0.0001")
LARGEST = Decimal(10) ** 16  # scores are Numeric(24, 4); leave room for sums


@dataclass(frozen=True, slots=True)
class BoardRule:
    """A board as scoring sees it: an immutable snapshot, safe to cache across sessions."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    key: str
    name: str
    platform: bool
    metric: str
    event_type: str | None
    property: str | None
    filters: tuple[dict[str, Any], ...]
    operator: str
    descending: bool
    schedule: Schedule
    max_change_per_event: Decimal | None
    max_change_per_period: Decimal | None
    period_start: datetime  # the live period
    next_reset_at: datetime | None
    first_period_start: datetime  # the period the board was created in
    starts_at: datetime | None = None  # a contest's window
    ends_at: datetime | None = None

    @classmethod
    def of(cls, board: Leaderboard) -> BoardRule:
        schedule = Schedule(board.period, board.timezone, board.cron)
        return cls(
            id=board.id,
            tenant_id=board.tenant_id,
            key=board.key,
            name=board.name,
            platform=board.kind == "platform",
            metric=board.metric,
            event_type=board.event_type,
            property=board.property,
            filters=tuple(board.filters or ()),
            operator=board.operator,
            descending=board.sort_order == "desc",
            schedule=schedule,
            max_change_per_event=board.max_change_per_event,
            max_change_per_period=board.max_change_per_period,
            period_start=board.period_start,
            next_reset_at=board.next_reset_at,
            first_period_start=(
                ALL_TIME_START
                if board.period == "all_time"
                else schedule.start_of(board.created_at or board.period_start)
            ),
            starts_at=board.starts_at,
            ends_at=board.ends_at,
        )

    def counts_at(self, at: datetime) -> bool:
        """Whether what happens at ``at`` counts (inside a contest's window, if it has one)."""
        return (self.starts_at is None or at >= self.starts_at) and (
            self.ends_at is None or at < self.ends_at
        )

    def period_of(self, at: datetime) -> datetime:
        """The start of the period containing ``at`` (the live one without any computing)."""
        if self.period_start <= at and (self.next_reset_at is None or at < self.next_reset_at):
            return self.period_start
        return self.schedule.start_of(at)

    def live_start(self, now: datetime) -> datetime:
        """The live period's start, even when the board has not been rolled over yet."""
        if self.next_reset_at is not None and self.next_reset_at <= now:
            return self.schedule.start_of(now)
        return self.period_start

    def value_of(self, event: Event) -> Decimal | None:
        """What ``event`` contributes to this board (None: nothing)."""
        if self.metric == "referrals":
            return ONE if event.type == REFERRAL_EVENT else None
        if self.metric != "event" or event.type != self.event_type:
            return None
        if not all(matches(f, event.properties) for f in self.filters):
            return None
        if self.operator == "count":
            return ONE
        return number(event.properties.get(self.property or ""))


@dataclass(slots=True)
class Standing:
    """A member's score in one period of one board."""

    score: Decimal
    reached_at: datetime
    period_change: Decimal = ZERO


def step(
    operator: str, current: Standing | None, value: Decimal, at: datetime
) -> tuple[Standing, Decimal] | None:
    """The standing after one contribution and the size of the change; None if unchanged."""
    if operator in ("sum", "count"):
        if current is None:
            return Standing(value, at), abs(value)
        reached = max(current.reached_at, at)
        return Standing(current.score + value, reached, current.period_change), abs(value)
    if operator == "max":
        if current is None:
            return Standing(value, at), abs(value)
        if value > current.score:
            return Standing(value, at, current.period_change), value - current.score
        if value == current.score and at < current.reached_at:
            return Standing(value, at, current.period_change), ZERO
        return None
    # latest: the value of the event with the greatest occurred_at (ties: the later arrival).
    # A first value has nothing to change from, so it counts as no change.
    if current is None:
        return Standing(value, at), ZERO
    if at >= current.reached_at:
        return Standing(value, at, current.period_change), abs(value - current.score)
    return None


def refusal(rule: BoardRule, current: Standing | None, change: Decimal) -> str | None:
    """Why a change is refused by the board's limits, or None."""
    limit = rule.max_change_per_event
    if limit is not None and change > limit:
        return f"a change of {_plain(change)} is over the limit of {_plain(limit)} per event"
    limit = rule.max_change_per_period
    so_far = current.period_change if current is not None else ZERO
    if limit is not None and so_far + change > limit:
        return (
            f"a change of {_plain(change)} would bring this period's changes to "
            f"{_plain(so_far + change)}, over the limit of {_plain(limit)} per period"
        )
    return None


def matches(condition: dict[str, Any], properties: dict[str, Any]) -> bool:
    name: str = condition["property"]
    op: str = condition["op"]
    expected = condition.get("value")
    if op == "exists":
        wanted = expected is None or bool(expected)
        return (name in properties) is wanted
    if name not in properties:
        return op == "ne"
    actual = properties[name]
    if op == "eq":
        return _equal(actual, expected)
    if op == "ne":
        return not _equal(actual, expected)
    if op == "in":
        return isinstance(expected, list) and any(_equal(actual, item) for item in expected)
    left, right = number(actual), number(expected)
    if left is None or right is None:
        return False
    if op == "gt":
        return left > right
    if op == "gte":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right  # lte


def number(value: Any) -> Decimal | None:
    """A finite number that fits a score column, to its four decimals; None otherwise."""
    result = as_decimal(value)
    if result is None or not result.is_finite() or abs(result) >= LARGEST:
        return None
    return result.quantize(QUANTUM)


def _equal(actual: Any, expected: Any) -> bool:
    left, right = number(actual), number(expected)
    if left is not None and right is not None:
        return left == right
    return bool(actual == expected)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")

"""An achievement compiled for counting: its trigger, its levels, and a member's way up them.

A member's progress row holds the running value and the trigger's state, plus
``reached`` (how many levels this progress has crossed, so a sliding window that
dips and climbs again crosses a level once) and ``sig`` (the trigger's
signature: when an edit changes what the state means, counting restarts from
zero, keeping ``reached``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bizosaas.gamification.achievements.member_repository import ProgressRow
from bizosaas.gamification.achievements.models import Achievement
from bizosaas.gamification.achievements.triggers import ZERO, Trigger
from bizosaas.gamification.events.pipeline import Event


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    threshold: Decimal
    points: int


def levels_of(raw: Sequence[Mapping[str, Any]]) -> tuple[Level, ...]:
    return tuple(
        Level(str(level["name"]), Decimal(str(level["threshold"])), int(level.get("points", 0)))
        for level in raw
    )


@dataclass(frozen=True, slots=True)
class Definition:
    id: uuid.UUID
    key: str
    name: str
    description: str
    trigger: Trigger
    levels: tuple[Level, ...]
    prerequisite_id: uuid.UUID | None
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def of(cls, row: Achievement) -> Definition:
        return cls(
            id=row.id,
            key=row.key,
            name=row.name,
            description=row.description,
            trigger=Trigger.from_dict(row.trigger),
            levels=levels_of(row.levels),
            prerequisite_id=row.prerequisite_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )

    @property
    def top(self) -> Decimal:
        return self.levels[-1].threshold if self.levels else Decimal(1)

    def accepts(self, event: Event) -> bool:
        """Whether the event counts (its time, type and filters; not the prerequisite)."""
        if self.starts_at is not None and event.occurred_at < self.starts_at:
            return False
        if self.ends_at is not None and event.occurred_at > self.ends_at:
            return False
        return self.trigger.matches(event)

    def completed(self, row: ProgressRow) -> bool:
        """Every level crossed under the current trigger: the row need not change any more
        (its value stays where it stood; adding a level later resumes counting)."""
        return (
            int(row.state.get("reached", 0)) >= len(self.levels)
            and row.state.get("sig") == self.trigger.signature()
        )

    def advance(self, row: ProgressRow, event: Event) -> list[int]:
        """Count the event into the member's progress; the level indexes it crossed."""
        signature = self.trigger.signature()
        if row.state.get("sig") != signature:
            row.state = {"sig": signature, "reached": int(row.state.get("reached", 0))}
            row.value = ZERO
        row.value = self.trigger.advance(row.value, row.state, event, self.top)
        reached = int(row.state["reached"])
        crossed = []
        while reached < len(self.levels) and row.value >= self.levels[reached].threshold:
            crossed.append(reached)
            reached += 1
        row.state["reached"] = reached
        return crossed


def prerequisites_first(definitions: Iterable[Definition]) -> list[Definition]:
    """Prerequisites before the achievements that need them, so one event can unlock a
    prerequisite and count towards what it opens; otherwise by key."""
    by_id = {d.id: d for d in definitions}
    depth: dict[uuid.UUID, int] = {}

    def depth_of(definition: Definition) -> int:
        seen: set[uuid.UUID] = set()
        current, n = definition, 0
        while current.id not in seen:  # a cycle cannot be saved, but never loop on one
            seen.add(current.id)
            above = by_id.get(current.prerequisite_id) if current.prerequisite_id else None
            if above is None:
                break
            current, n = above, n + 1
        return n

    for d in by_id.values():
        depth[d.id] = depth_of(d)
    return sorted(by_id.values(), key=lambda d: (depth[d.id], d.key))


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a member stands on one achievement today."""

    value: Decimal
    next_level: int | None  # index into levels; None when every level is unlocked
    percent: float


def standing(
    definition: Definition, row: ProgressRow | None, unlocked: set[int], today: date
) -> Standing:
    value = ZERO
    pending = [i for i in range(len(definition.levels)) if i not in unlocked]
    if row is not None and row.state.get("sig") == definition.trigger.signature():
        # Once complete, a row stops counting: show where it stood, not a lapsed window.
        value = definition.trigger.current(row.value, row.state, today) if pending else row.value
    if not pending:
        return Standing(value, None, 100.0)
    threshold = definition.levels[pending[0]].threshold
    percent = float(min(Decimal(100), max(ZERO, value * 100 / threshold)))
    return Standing(value, pending[0], round(percent, 1))

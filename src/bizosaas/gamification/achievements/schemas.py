"""Achievements as clients define and see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from bizosaas.core.schemas import FromRow, Patch, Timezone
from bizosaas.gamification.achievements import triggers
from bizosaas.gamification.events.schemas import EVENT_TYPE_PATTERN

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
LEVEL_NAMES = ("bronze", "silver", "gold", "platinum", "diamond")
MAX_LEVELS = 5

Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=64, examples=["ten_campaigns"])]
PropertyName = Annotated[str, Field(min_length=1, max_length=64)]
Scalar = str | int | float | bool
Platform = Literal["bizoholic", "coreldove", "bizosaas-admin"]
Number = int | float


def number(value: Decimal | None) -> Number | None:
    """A Decimal as JSON shows it best: 3, not "3.0000"."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# -- definitions in ---------------------------------------------------------------------


class FilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    property: PropertyName
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "exists"]
    value: Scalar | list[Scalar] | None = Field(
        default=None, description="A list for `in`; true/false for `exists`; a number to order"
    )

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        op, value = self.op, self.value
        if op == "exists":
            if value is not None and not isinstance(value, bool):
                raise ValueError("exists takes true or false (or nothing, meaning true)")
        elif op == "in":
            if not isinstance(value, list) or not value or len(value) > 100:
                raise ValueError("in takes a list of 1 to 100 values")
        elif value is None or isinstance(value, list):
            raise ValueError(f"{op} takes one value")
        elif op in triggers.ORDERING and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise ValueError(f"{op} compares numbers; give a number")
        return self


class TriggerIn(BaseModel):
    """Which events count, and how they add up."""

    model_config = ConfigDict(extra="forbid")

    event_type: Annotated[
        str, Field(max_length=64, pattern=EVENT_TYPE_PATTERN, examples=["campaign.launched"])
    ]
    filters: Annotated[list[FilterIn], Field(max_length=10)] = Field(default_factory=list)
    aggregation: Literal["count", "sum", "max", "distinct", "streak"] = "count"
    property: PropertyName | None = Field(
        default=None, description="The property summed, maxed or told apart (sum/max/distinct)"
    )
    window_days: Annotated[int | None, Field(ge=1, le=366)] = Field(
        default=None, description="Count only the last N days (null: all time)"
    )
    timezone: Timezone = Field(default="UTC", description="IANA zone in which days are counted")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        triggers.zone(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.aggregation in triggers.NEEDS_PROPERTY and not self.property:
            raise ValueError(f"aggregation {self.aggregation} needs a property")
        if self.aggregation not in triggers.NEEDS_PROPERTY and self.property:
            raise ValueError("property is only used by sum, max and distinct")
        if self.aggregation == "streak" and self.window_days:
            raise ValueError("a streak cannot have window_days (it is about consecutive days)")
        return self


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=32)] = Field(
        default=None, description="Default: bronze, silver, gold, platinum, diamond"
    )
    threshold: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
    points: Annotated[int, Field(ge=0, le=1_000_000)] = 0


def _check_levels(levels: list[LevelIn]) -> list[LevelIn]:
    for before, after in pairwise(levels):
        if after.threshold <= before.threshold:
            raise ValueError("level thresholds must be strictly increasing")
    names = [level.name or LEVEL_NAMES[i] for i, level in enumerate(levels)]
    if len(set(names)) != len(names):
        raise ValueError("level names must differ")
    return levels


def streak_too_long(aggregation: str, top: Decimal) -> str | None:
    """Why these levels cannot go with this aggregation, if they cannot."""
    if aggregation == "streak" and top > triggers.MAX_STREAK_DAYS:
        return f"a streak level may ask for at most {triggers.MAX_STREAK_DAYS} days"
    return None


def stored_levels(levels: list[LevelIn]) -> list[dict[str, Any]]:
    return [
        {
            "name": level.name or LEVEL_NAMES[i],
            "threshold": number(level.threshold),
            "points": level.points,
        }
        for i, level in enumerate(levels)
    ]


class AchievementCreate(BaseModel):
    """A custom achievement. Give `levels` (1 to 5, e.g. bronze/silver/gold), or a single
    `threshold` with its `points`."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    icon: Annotated[str, Field(min_length=1, max_length=64)] = "trophy"
    category: Key | None = Field(default=None, description="A category key of the tenant")
    platform: Platform | None = None
    trigger: TriggerIn
    levels: Annotated[list[LevelIn] | None, Field(min_length=1, max_length=MAX_LEVELS)] = None
    threshold: Annotated[Decimal | None, Field(gt=0, max_digits=16, decimal_places=4)] = None
    points: Annotated[int | None, Field(ge=0, le=1_000_000)] = None
    prerequisite: Annotated[str | None, Field(min_length=1, max_length=64)] = Field(
        default=None,
        description="Key or id of another achievement: events count only from the moment "
        "the member unlocked its first level",
    )
    hidden: bool = Field(default=False, description="Secret to members until unlocked")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @field_validator("levels")
    @classmethod
    def _increasing(cls, value: list[LevelIn] | None) -> list[LevelIn] | None:
        return _check_levels(value) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.levels is not None and (self.threshold is not None or self.points is not None):
            raise ValueError("give either levels, or threshold and points, not both")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        problem = streak_too_long(self.trigger.aggregation, self.level_list()[-1].threshold)
        if problem:
            raise ValueError(problem)
        return self

    def level_list(self) -> list[LevelIn]:
        if self.levels is not None:
            return self.levels
        return [
            LevelIn(
                name="unlocked", threshold=self.threshold or Decimal(1), points=self.points or 0
            )
        ]


class AchievementUpdate(Patch):
    """Only what is given changes. A new trigger counts from now on: progress made so far is
    kept (a changed aggregation, property, window or timezone restarts counting), and the
    past is recomputed only if the tenant admin replays the event log."""

    clearable = frozenset({"category", "platform", "prerequisite", "starts_at", "ends_at"})

    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    description: Annotated[str | None, Field(max_length=1000)] = None
    icon: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    category: Key | None = Field(default=None, description="null: no category")
    platform: Platform | None = Field(default=None, description="null: every platform")
    trigger: TriggerIn | None = None
    levels: Annotated[list[LevelIn] | None, Field(min_length=1, max_length=MAX_LEVELS)] = None
    threshold: Annotated[Decimal | None, Field(gt=0, max_digits=16, decimal_places=4)] = None
    points: Annotated[int | None, Field(ge=0, le=1_000_000)] = None
    prerequisite: Annotated[str | None, Field(min_length=1, max_length=64)] = Field(
        default=None, description="Key or id; null removes the prerequisite"
    )
    hidden: bool | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @field_validator("levels")
    @classmethod
    def _increasing(cls, value: list[LevelIn] | None) -> list[LevelIn] | None:
        return _check_levels(value) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.levels is not None and (self.threshold is not None or self.points is not None):
            raise ValueError("give either levels, or threshold and points, not both")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    position: Annotated[int, Field(ge=0, le=10_000)] = 100


# -- out --------------------------------------------------------------------------------


class CategoryOut(FromRow):
    id: uuid.UUID
    key: str
    name: str
    description: str
    position: int


class FilterOut(BaseModel):
    property: str
    op: str
    value: Any


class TriggerOut(BaseModel):
    event_type: str
    filters: list[FilterOut]
    aggregation: str
    property: str | None
    window_days: int | None
    timezone: str


class LevelOut(BaseModel):
    level: int = Field(description="1 for the first level")
    name: str
    threshold: Number
    points: int


class AchievementOut(BaseModel):
    """A definition, as those who manage achievements see it."""

    id: uuid.UUID
    key: str
    name: str
    description: str
    icon: str
    category: str | None
    platform: str | None
    trigger: TriggerOut
    levels: list[LevelOut]
    prerequisite: str | None = Field(description="The prerequisite's key")
    hidden: bool
    starts_at: datetime | None
    ends_at: datetime | None
    status: str = Field(description="active, or archived (no longer counts; unlocks kept)")
    source: str = Field(description="catalog (the tenant's copy of a predefined one) or custom")
    created_at: datetime
    updated_at: datetime


class ProgressOut(BaseModel):
    value: Number = Field(description="Current value (a window or streak as of today)")
    next_level: int | None = Field(description="The next level to unlock; null when all are")
    next_threshold: Number | None
    percent: float = Field(description="Of the next level's threshold, 0 to 100")


class UnlockOut(BaseModel):
    level: int
    name: str
    points: int
    unlocked_at: datetime


class MemberAchievementOut(BaseModel):
    """One achievement with a member's progress. A hidden one not yet unlocked is shown to
    members as a secret: no key, name, description, trigger, levels or progress."""

    id: uuid.UUID
    secret: bool
    key: str | None
    name: str
    description: str
    icon: str
    category: str | None
    platform: str | None
    hidden: bool
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    prerequisite: str | None
    trigger: TriggerOut | None
    levels: list[LevelOut]
    progress: ProgressOut | None
    unlocked: list[UnlockOut]


class MemberAchievements(BaseModel):
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    unlocked_count: int = Field(description="Achievements with at least one level unlocked")
    points_earned: int = Field(description="Points from the levels unlocked")
    categories: list[CategoryOut]
    achievements: list[MemberAchievementOut]


class GoalOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    description: str
    icon: str
    category: str | None
    next_level: int
    level_name: str
    value: Number
    next_threshold: Number
    percent: float
    points: int = Field(description="Points for reaching the next level")


class LevelReach(BaseModel):
    level: int
    name: str
    members: int = Field(description="Members whose history already reaches this level")


class AchievementPreview(BaseModel):
    """How many members would already qualify, were the achievement saved now (their events
    so far, counted by its trigger; a prerequisite is not taken into account)."""

    qualifying: int = Field(description="Members who would unlock at least the first level")
    levels: list[LevelReach]
    members_counted: int = Field(description="Members with at least one matching event")
    events_scanned: int


class NextGoals(BaseModel):
    user_id: uuid.UUID
    goals: list[GoalOut]

"""Leaderboards as clients define and read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bizosaas.core.schemas import FromRow, Patch, Timezone
from bizosaas.gamification.events.schemas import EVENT_TYPE_PATTERN
from bizosaas.gamification.leaderboards.periods import Schedule, ScheduleError

Metric = Literal["points", "referrals", "event"]
Operator = Literal["sum", "max", "latest", "count"]
Period = Literal["daily", "weekly", "monthly", "all_time", "cron"]
FilterOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "exists"]
Limit = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=4)]
PropertyName = Annotated[str, Field(min_length=1, max_length=64)]
Scalar = str | int | float | bool | None


class Filter(BaseModel):
    """A condition on an event property; all of a board's filters must hold."""

    model_config = ConfigDict(extra="forbid")

    property: PropertyName
    op: FilterOp
    value: Scalar | Annotated[list[str | int | float], Field(max_length=50)] = None

    @model_validator(mode="after")
    def _value_fits(self) -> Filter:
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError("an 'in' filter needs a list value")
        if self.op != "in" and isinstance(self.value, list):
            raise ValueError(f"a {self.op!r} filter takes a single value")
        if self.op in ("gt", "gte", "lt", "lte") and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"a {self.op!r} filter needs a number")
        if self.op == "exists" and self.value is not None and not isinstance(self.value, bool):
            raise ValueError("an 'exists' filter takes true, false or nothing")
        return self


class Rules(BaseModel):
    """What a board scores: shared by tenant and platform boards."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=500)] = ""
    metric: Metric
    event_type: Annotated[str | None, Field(max_length=64, pattern=EVENT_TYPE_PATTERN)] = None
    property: PropertyName | None = None
    filters: Annotated[list[Filter], Field(max_length=10)] = Field(default_factory=list)
    operator: Operator | None = Field(
        default=None, description="Default: sum for points and events, count for referrals"
    )
    sort_order: Literal["desc", "asc"] = "desc"
    period: Period = "all_time"
    cron: Annotated[str | None, Field(max_length=120)] = Field(
        default=None, description="With period=cron: each fire of this expression is a reset"
    )
    timezone: Timezone | None = Field(
        default=None, description="IANA name; default: the tenant's timezone"
    )
    max_change_per_event: Limit | None = None
    max_change_per_period: Limit | None = None
    starts_at: AwareDatetime | None = Field(
        default=None, description="A contest: only what happens from then counts"
    )
    ends_at: AwareDatetime | None = Field(
        default=None, description="A contest: only what happens before then counts"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        if self.metric == "points":
            self.operator = self.operator or "sum"
            if self.operator != "sum":
                raise ValueError("a points board sums the points members earn (operator sum)")
        elif self.metric == "referrals":
            self.operator = self.operator or "count"
            if self.operator != "count":
                raise ValueError("a referrals board counts conversions (operator count)")
        else:
            self.operator = self.operator or "sum"
            if self.event_type is None:
                raise ValueError("an event board needs event_type")
            if self.operator != "count" and self.property is None:
                raise ValueError(f"operator {self.operator!r} needs the property to aggregate")
        if self.metric != "event" and (self.event_type or self.property or self.filters):
            raise ValueError("event_type, property and filters belong to event boards")
        try:
            Schedule(self.period, self.timezone or "UTC", self.cron).validate()
        except ScheduleError as exc:
            raise ValueError(str(exc)) from exc
        return self


class LeaderboardCreate(Rules):
    visibility: Literal["members", "public"] = Field(
        default="members",
        description="public: also readable without login, unless the tenant keeps boards "
        "members-only",
    )


class PlatformLeaderboardCreate(Rules):
    pass


class LeaderboardUpdate(Patch):
    """Presentation and limits; what a board scores is fixed (create another board instead).
    `null` removes a limit."""

    clearable = frozenset({"max_change_per_event", "max_change_per_period"})

    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    description: Annotated[str | None, Field(max_length=500)] = None
    visibility: Literal["members", "public"] | None = None
    filters: Annotated[list[Filter] | None, Field(max_length=10)] = None
    max_change_per_event: Limit | None = None
    max_change_per_period: Limit | None = None


class LeaderboardOut(FromRow):
    id: uuid.UUID
    key: str
    name: str
    description: str
    kind: Literal["tenant", "platform"] = Field(
        description="`tenant`: ranks the tenant's members; `platform`: ranks tenants"
    )
    metric: str
    event_type: str | None
    property: str | None
    filters: list[dict[str, Any]]
    operator: str
    sort_order: str
    period: str
    cron: str | None
    timezone: str
    max_change_per_event: float | None
    max_change_per_period: float | None
    visibility: str
    status: str
    period_start: datetime = Field(description="Start of the current period")
    next_reset_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    created_at: datetime


class Standing(BaseModel):
    rank: int = Field(description="Over every participant; hidden members leave a gap")
    user_id: uuid.UUID
    name: str
    score: float
    reached_at: datetime
    me: bool = False


class StandingsPage(BaseModel):
    leaderboard_id: uuid.UUID
    period_start: datetime
    next_reset_at: datetime | None
    participants: int
    entries: list[Standing]
    next_cursor: str | None


class MyStanding(BaseModel):
    leaderboard_id: uuid.UUID
    period_start: datetime
    next_reset_at: datetime | None
    participants: int
    rank: int | None
    score: float | None
    reached_at: datetime | None
    hidden: bool
    name: str


class AroundPage(BaseModel):
    leaderboard_id: uuid.UUID
    period_start: datetime
    participants: int
    rank: int | None
    entries: list[Standing]


class Gap(BaseModel):
    rank: int
    name: str
    points: float = Field(description="Score to make up to draw level with them")


class BestPeriod(BaseModel):
    period_start: datetime
    rank: int
    score: float


class Insights(BaseModel):
    """Where a member stands on a board now, and how far the next steps are."""

    leaderboard_id: uuid.UUID
    user_id: uuid.UUID
    rank: int | None
    score: float | None
    participants: int
    ahead: Gap | None = Field(description="The nearest visible member above")
    to_top: float | None = Field(description="Score to make up to reach the top 10")
    best_period: BestPeriod | None = Field(description="The member's best archived period")
    lines: list[str] = Field(description="The same, in words")


class PeriodOut(FromRow):
    period_start: datetime
    period_end: datetime
    participants: int
    archived_at: datetime


class PeriodPage(BaseModel):
    periods: list[PeriodOut]
    next_cursor: str | None


class FinalStandings(BaseModel):
    period: PeriodOut
    entries: list[Standing]
    next_cursor: str | None


class RejectionOut(FromRow):
    id: int
    member_id: uuid.UUID
    event_id: str | None
    period_start: datetime | None
    change: float
    reason: str
    created_at: datetime


class RejectionPage(BaseModel):
    rejections: list[RejectionOut]
    next_cursor: str | None


class PrivacyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool = Field(default=False, description="Hide from everyone else on this board")
    alias: Annotated[str | None, Field(min_length=1, max_length=64)] = Field(
        default=None, description="Shown on this board instead of your name"
    )


class PrivacyOut(FromRow):
    leaderboard_id: uuid.UUID
    hidden: bool
    alias: str | None


class RebuildOut(BaseModel):
    leaderboard_id: uuid.UUID
    members: int
    seconds: float


class PublicStanding(BaseModel):
    rank: int
    name: str
    score: float


class PublicBoard(BaseModel):
    key: str
    name: str
    description: str
    period_start: datetime
    next_reset_at: datetime | None
    entries: list[PublicStanding]


class TenantStanding(BaseModel):
    rank: int
    tenant_id: uuid.UUID
    name: str
    industry: str | None
    score: float
    reached_at: datetime


class PlatformStandings(BaseModel):
    leaderboard_id: uuid.UUID
    period_start: datetime
    next_reset_at: datetime | None
    industry: str | None
    entries: list[TenantStanding]
    mine: TenantStanding | None = Field(description="The caller's organisation, when ranked")
    next_cursor: str | None


class FlagOut(FromRow):
    """A score jump held out of a period's final ranks until a tenant admin decides."""

    id: uuid.UUID
    leaderboard_id: uuid.UUID
    period_start: datetime
    member_id: uuid.UUID
    name: str = ""
    score: float
    own_best: float = Field(description="The member's best in the board's earlier periods")
    others_best: float = Field(description="Anybody else's best in the same period")
    status: Literal["open", "cleared", "upheld"] = Field(
        description="open: held out of the final ranks; cleared: ranked; upheld: kept out"
    )
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    created_at: datetime


class FlagsOut(BaseModel):
    flags: list[FlagOut]

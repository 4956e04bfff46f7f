"""Referral programs, codes, the funnel and conversions as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    IPvAnyAddress,
    model_validator,
)

from bizosaas.core.schemas import FromRow, Patch

Platform = Literal["bizoholic", "coreldove", "bizosaas-admin"]
ProgramStatus = Literal["draft", "active", "paused", "archived"]
ConversionStatus = Literal["approved", "review", "rejected", "refunded"]
Unit = Literal["points", "credit", "USD"]
QualifyingEvent = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]
Fingerprint = Annotated[str, Field(min_length=1, max_length=128)]
CodeText = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]


class Reward(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=2)]
    unit: Unit = "points"


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_referrals: Annotated[int, Field(ge=1, le=100_000)]
    reward: Reward


class PeriodCap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Annotated[int, Field(ge=1, le=100_000)]
    days: Annotated[int, Field(ge=1, le=365)]


def _check_tiers(tiers: list[Tier] | None) -> None:
    if tiers:
        mins = [t.min_referrals for t in tiers]
        if any(b <= a for a, b in pairwise(mins)):
            raise ValueError("tiers' min_referrals must be strictly increasing")


def _check_dates(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    platform: Platform
    status: ProgramStatus = "draft"
    share_message: Annotated[str, Field(max_length=280)] = Field(
        default="", description="Prefilled text of members' share buttons (the link follows it)"
    )
    referrer_reward: Reward
    referee_reward: Reward | None = None
    tiers: Annotated[list[Tier], Field(max_length=20)] = []
    qualifying_event: QualifyingEvent = "signup"
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] = 30
    hold_days: Annotated[int, Field(ge=0, le=90)] = 14
    manual_approval: bool = Field(
        default=False, description="Each reward waits for a tenant admin's approval"
    )
    cap_per_referrer: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    cap_per_period: PeriodCap | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_tiers(self.tiers)
        _check_dates(self.starts_at, self.ends_at)
        return self


class ProgramUpdate(Patch):
    """Only the fields sent change; the result is checked as a whole. `null` removes a cap,
    a date or the referee's reward."""

    clearable = frozenset(
        {"referee_reward", "cap_per_referrer", "cap_per_period", "starts_at", "ends_at"}
    )

    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    platform: Platform | None = None
    status: ProgramStatus | None = None
    share_message: Annotated[str | None, Field(max_length=280)] = None
    referrer_reward: Reward | None = None
    referee_reward: Reward | None = None
    tiers: Annotated[list[Tier] | None, Field(max_length=20)] = None
    qualifying_event: QualifyingEvent | None = None
    attribution_window_days: Annotated[int | None, Field(ge=1, le=365)] = None
    hold_days: Annotated[int | None, Field(ge=0, le=90)] = None
    manual_approval: bool | None = None
    cap_per_referrer: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    cap_per_period: PeriodCap | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_tiers(self.tiers)
        _check_dates(self.starts_at, self.ends_at)
        return self


class ProgramOut(FromRow):
    id: uuid.UUID
    name: str
    platform: str
    status: str
    share_message: str
    referrer_reward: dict[str, Any]
    referee_reward: dict[str, Any] | None
    tiers: list[dict[str, Any]]
    qualifying_event: str
    attribution_window_days: int
    hold_days: int
    manual_approval: bool
    cap_per_referrer: int | None
    cap_per_period: dict[str, Any] | None
    starts_at: datetime | None
    ends_at: datetime | None
    created_at: datetime
    updated_at: datetime


class GenerateCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: uuid.UUID | None = None


class CodeOut(FromRow):
    id: uuid.UUID
    program_id: uuid.UUID
    user_id: uuid.UUID
    code: str
    share_url: str = ""
    active: bool
    created_at: datetime
    deactivated_at: datetime | None


class TierProgress(BaseModel):
    """Where the member stands on the program's tiers (by approved referrals)."""

    approved: int
    reached: Tier | None = Field(description="The highest tier reached, if any")
    next: Tier | None = Field(description="The next tier, if any")
    to_next: int | None = Field(description="Approved referrals still needed for the next tier")


class ProgramStanding(BaseModel):
    """One active program as a member sees it: the code, the funnel, the tiers."""

    program_id: uuid.UUID
    name: str
    platform: str
    share_message: str
    referrer_reward: Reward
    referee_reward: Reward | None
    code: CodeOut | None = Field(description="None until the member asks for one")
    clicks: int
    signups: int
    conversions: dict[str, int] = Field(description="By status: approved, review, rejected…")
    tier: TierProgress


class ReferralDashboard(BaseModel):
    programs: list[ProgramStanding]


class LinkVisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CodeText
    device_id: Fingerprint | None = None


class LinkVisit(BaseModel):
    """What a share link's landing page says, once the click is recorded."""

    code: str
    tenant_slug: str
    organisation: str
    program: str
    referrer: str = Field(description="The referrer's first name")
    signup_open: bool = Field(description="Whether newcomers may sign themselves up")


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CodeText
    ip: IPvAnyAddress | None = None
    device_fingerprint: Fingerprint | None = None


class SignupIn(ClickIn):
    referee_id: uuid.UUID


class VisitOut(FromRow):
    id: int
    code_id: uuid.UUID
    kind: str
    referee_id: uuid.UUID | None
    created_at: datetime


class ConversionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: uuid.UUID | None = None
    code: CodeText | None = None
    referee_id: uuid.UUID
    referee_email: EmailStr | None = None
    referrer_email: EmailStr | None = Field(
        default=None, description="The referrer's email, when the caller knows it (fraud check)"
    )
    ip: IPvAnyAddress | None = None
    device_fingerprint: Fingerprint | None = None
    event_id: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    occurred_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _which(self) -> Self:
        if self.program_id is None and self.code is None:
            raise ValueError("send program_id or code")
        return self


class ConversionOut(FromRow):
    id: uuid.UUID
    program_id: uuid.UUID
    code_id: uuid.UUID
    referrer_id: uuid.UUID
    referee_id: uuid.UUID
    referee_email: str | None
    status: str
    risk_score: float
    risk_reasons: list[dict[str, Any]]
    event_id: str | None
    converted_at: datetime
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    review_note: str | None
    created: bool = False


class ReviewItem(ConversionOut):
    """A conversion as the review queue lists it: with both members' names."""

    referrer_name: str | None = None
    referee_name: str | None = None


class Referred(ConversionOut):
    referrals: list[ConversionOut] = Field(
        default_factory=list, description="Whom this referee referred in turn"
    )


class MemberReferrals(BaseModel):
    """A member's referral tree, for a tenant admin looking into them."""

    user_id: uuid.UUID
    referred_by: ConversionOut | None = Field(description="How the member was referred")
    referred: list[Referred] = Field(description="Whom the member referred, newest first")
    flagged: list[ConversionOut] = Field(
        description="The member's own conversions (as referrer or referee) that fraud checks "
        "held or that were rejected"
    )


class ReviewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str | None, Field(max_length=2000)] = None


class ConversionPage(BaseModel):
    conversions: list[ReviewItem]

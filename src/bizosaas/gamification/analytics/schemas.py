"""The analytics report: totals, rates, daily series and the PRD's success targets."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class ReviewOutcomes(BaseModel):
    flagged: int = Field(description="Conversions with at least one risk reason")
    approved: int
    rejected: int
    in_review: int = Field(description="Flagged conversions still in status review")
    refunded: int
    reviewed: int = Field(description="Conversions an admin approved or rejected after review")
    detection_accuracy: float | None = Field(
        description="Of the reviewed: how often the fraud score agreed with the admin's verdict "
        "(a score of 0.5 or more for a rejection, below for an approval)"
    )


class ReferralFunnel(BaseModel):
    codes_created: int
    clicks: int
    signups: int
    conversions: int = Field(description="Conversions in the range, rejected ones left out")
    rewarded: int = Field(description="Conversions with a reward ledger grant not reversed")
    conversion_rate: float | None = Field(
        description="conversions / signups, or / clicks when there are no signups"
    )
    by_status: dict[str, int] = Field(description="Every conversion in the range, by status")
    fraud: ReviewOutcomes


class AchievementCount(BaseModel):
    key: str
    name: str
    unlocks: int
    members: int


class Achievements(BaseModel):
    unlocks: int
    members_unlocking: int = Field(description="Active members with at least one unlock")
    unlock_rate: float | None
    by_achievement: list[AchievementCount]


class Leaderboards(BaseModel):
    participants: int = Field(
        description=(
            "Active members with a score on a tenant board in a period overlapping the range"
        )
    )
    participation_rate: float | None


class Portfolios(BaseModel):
    created: int = Field(description="Portfolios created in the range (tenant's and members')")
    published: int = Field(description="Of those, published now")
    members_creating: int = Field(
        description="Active members with a portfolio of their own created in the range"
    )
    creation_rate: float | None


class Day(BaseModel):
    date: date
    active_members: int
    unlocks: int
    members_unlocking: int
    unlock_rate: float | None
    leaderboard_participants: int
    participation_rate: float | None
    portfolios_created: int
    members_creating: int
    creation_rate: float | None
    referral_codes: int
    referral_clicks: int
    referral_signups: int
    referral_conversions: int
    referral_rewarded: int
    referral_conversion_rate: float | None
    referral_flagged: int = Field(description="Conversions with a risk reason (fraud trend)")


class Target(BaseModel):
    metric: str
    target: float = Field(description="The rate must be above this")
    value: float | None
    met: bool


class AnalyticsReport(BaseModel):
    tenant_id: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    days: int
    active_members: int = Field(description="Members with at least one event in the range")
    referrals: ReferralFunnel
    achievements: Achievements
    leaderboards: Leaderboards
    portfolios: Portfolios
    targets: list[Target]
    daily: list[Day]


class CampaignResult(BaseModel):
    kind: str
    id: uuid.UUID
    count: int = Field(
        description="program: conversions (not rejected or refunded); achievement: members "
        "who unlocked it; leaderboard: members with a score in its live period"
    )

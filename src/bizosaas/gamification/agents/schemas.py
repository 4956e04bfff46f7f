"""A task is ``{task_type, payload}``: the task type picks the payload's schema, so an
unknown type or a payload that does not fit its task is refused (422) before any work.
Each result names its task type too, so a recorded task reads back typed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bizosaas.core.schemas import FromRow
from bizosaas.gamification.achievements.schemas import (
    AchievementCreate,
    AchievementPreview,
    NextGoals,
)
from bizosaas.gamification.analytics.schemas import AchievementCount, ReferralFunnel
from bizosaas.gamification.leaderboards.schemas import FlagOut, Insights
from bizosaas.gamification.portfolios.schemas import GenerateRequest, PortfolioOut, Post
from bizosaas.gamification.referrals.schemas import ConversionIn, ConversionOut


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- payloads -----------------------------------------------------------------------------


class FraudPayload(Strict):
    conversion_id: uuid.UUID


class ReportPayload(Strict):
    from_date: date | None = Field(default=None, alias="from", description="Default: 30 days ago")
    to_date: date | None = Field(default=None, alias="to", description="Default: today (UTC)")


class AchievementsPayload(Strict):
    user_id: uuid.UUID | None = Field(
        default=None, description="Tenant admins: a member's; none for the caller's own"
    )
    limit: int = Field(default=3, ge=1, le=20)


class ManipulationPayload(Strict):
    days: int = Field(default=30, ge=7, le=90, description="How much history is usual")
    least: int = Field(default=20, ge=1, le=100_000, description="Fewer events in a day pass")


class LeaderboardsPayload(Strict):
    leaderboard_id: uuid.UUID | None = Field(
        default=None, description="One board; none for every active board of the tenant"
    )


class ProcessReferral(Strict):
    task_type: Literal["process_referral"]
    payload: ConversionIn


class DetectFraud(Strict):
    task_type: Literal["detect_fraud"]
    payload: FraudPayload


class ReferralReport(Strict):
    task_type: Literal["referral_report"]
    payload: ReportPayload = Field(default_factory=ReportPayload)


class CheckAchievements(Strict):
    task_type: Literal["check_achievements"]
    payload: AchievementsPayload = Field(default_factory=AchievementsPayload)


class DraftPayload(Strict):
    request: str = Field(
        min_length=3,
        max_length=500,
        examples=["Reward members who refer three friends in a month"],
    )


class DraftAchievement(Strict):
    task_type: Literal["draft_achievement"]
    payload: DraftPayload


class AchievementReport(Strict):
    task_type: Literal["achievement_report"]
    payload: ReportPayload = Field(default_factory=ReportPayload)


class ManipulationFlags(Strict):
    task_type: Literal["manipulation_flags"]
    payload: ManipulationPayload = Field(default_factory=ManipulationPayload)


class InsightsPayload(Strict):
    leaderboard_id: uuid.UUID
    user_id: uuid.UUID | None = Field(
        default=None, description="Tenant admins: a member's; none for the caller's own"
    )


class CompetitiveInsights(Strict):
    task_type: Literal["competitive_insights"]
    payload: InsightsPayload


class ScoreJumpsPayload(Strict):
    leaderboard_id: uuid.UUID | None = Field(default=None, description="Every board if none")
    status: Literal["open", "cleared", "upheld"] | None = "open"


class ScoreJumps(Strict):
    task_type: Literal["score_jumps"]
    payload: ScoreJumpsPayload = Field(default_factory=ScoreJumpsPayload)


class SharePayload(Strict):
    portfolio_id: uuid.UUID


class ShareShowcase(Strict):
    task_type: Literal["share_showcase"]
    payload: SharePayload


class PromotePayload(Strict):
    """What to promote: one achievement, or one referral program."""

    achievement_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one(self) -> PromotePayload:
        if (self.achievement_id is None) == (self.program_id is None):
            raise ValueError("name one achievement_id or one program_id")
        return self


class PromotePosts(Strict):
    task_type: Literal["promote_posts"]
    payload: PromotePayload


class UpdateLeaderboards(Strict):
    task_type: Literal["update_leaderboards"]
    payload: LeaderboardsPayload = Field(default_factory=LeaderboardsPayload)


class GenerateShowcase(Strict):
    task_type: Literal["generate_showcase"]
    payload: GenerateRequest = Field(default_factory=GenerateRequest)


TaskIn = Annotated[
    ProcessReferral
    | DetectFraud
    | ReferralReport
    | CheckAchievements
    | DraftAchievement
    | AchievementReport
    | ManipulationFlags
    | CompetitiveInsights
    | ScoreJumps
    | UpdateLeaderboards
    | GenerateShowcase
    | ShareShowcase
    | PromotePosts,
    Field(discriminator="task_type"),
]


# -- results ------------------------------------------------------------------------------


class Reason(BaseModel):
    code: str
    weight: float
    detail: str


class ConversionResult(BaseModel):
    task_type: Literal["process_referral"] = "process_referral"
    conversion: ConversionOut


class FraudResult(BaseModel):
    task_type: Literal["detect_fraud"] = "detect_fraud"
    conversion_id: uuid.UUID
    status: str = Field(description="The conversion's status, which re-scoring leaves as it is")
    stored_score: float = Field(description="The score it was given when it converted")
    score: float = Field(description="The score from today's model, neighbourhood and marks")
    decision: Literal["approved", "review", "rejected"]
    reasons: list[Reason]


class Referrer(BaseModel):
    user_id: uuid.UUID
    name: str | None
    approved: int
    held: int = Field(description="Waiting for review")
    rejected: int


class Period(BaseModel):
    """What a report covers; read and written as ``from`` and ``to``."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")


class ReferralReportResult(Period):
    task_type: Literal["referral_report"] = "referral_report"
    funnel: ReferralFunnel
    top_referrers: list[Referrer]


class AchievementsResult(BaseModel):
    task_type: Literal["check_achievements"] = "check_achievements"
    next_goals: NextGoals
    unlocked_count: int = Field(description="Achievements with at least one level unlocked")
    points_earned: int


class DraftResult(BaseModel):
    task_type: Literal["draft_achievement"] = "draft_achievement"
    request: str
    understood: bool
    explanation: str
    proposal: AchievementCreate | None = Field(
        description="Not saved: a tenant admin confirms it with POST /achievements/custom"
    )
    preview: AchievementPreview | None = Field(description="Members who would already qualify")
    refused: str | None = Field(description="Why the designer would refuse it, if it would")


class Finding(BaseModel):
    kind: Literal["nobody_reaches", "everybody_at_once"]
    achievement_key: str
    text: str


class AchievementReportResult(Period):
    task_type: Literal["achievement_report"] = "achievement_report"
    active_members: int
    unlock_rate: float | None
    by_achievement: list[AchievementCount]
    findings: list[Finding]


class Flag(BaseModel):
    # None in reports recorded before flags could be decided
    id: uuid.UUID | None = Field(
        default=None, description="Today's flag of this member: dismiss or confirm it"
    )
    status: Literal["open", "confirmed"] = Field(
        default="open", description="Dismissed flags are left out"
    )
    user_id: uuid.UUID
    name: str | None
    last_day: int = Field(description="Events in the last 24 hours")
    usual: float = Field(description="The member's median day before it (active days)")
    peers: float = Field(description="Everybody's busiest days: the 99th percentile of a day")
    text: str


class ActivityDecision(FromRow):
    id: uuid.UUID
    user_id: uuid.UUID
    day: date
    status: Literal["open", "dismissed", "confirmed"]
    decided_by: uuid.UUID | None
    decided_at: datetime | None


class ManipulationResult(BaseModel):
    task_type: Literal["manipulation_flags"] = "manipulation_flags"
    flags: list[Flag]


class InsightsResult(BaseModel):
    task_type: Literal["competitive_insights"] = "competitive_insights"
    insights: Insights


class ScoreJumpsResult(BaseModel):
    task_type: Literal["score_jumps"] = "score_jumps"
    flags: list[FlagOut]


class BoardRebuilt(BaseModel):
    id: uuid.UUID
    name: str
    members: int


class LeaderboardsResult(BaseModel):
    task_type: Literal["update_leaderboards"] = "update_leaderboards"
    boards: list[BoardRebuilt]


class ShowcaseResult(BaseModel):
    task_type: Literal["generate_showcase"] = "generate_showcase"
    portfolio: PortfolioOut


class ShareResult(BaseModel):
    task_type: Literal["share_showcase"] = "share_showcase"
    portfolio_id: uuid.UUID
    url: str
    keywords: list[str]
    json_ld: dict[str, Any] = Field(description="schema.org Article, as its public page has it")
    posts: list[Post]


class PromoteResult(BaseModel):
    task_type: Literal["promote_posts"] = "promote_posts"
    url: str = Field(description="Where each post sends people (the portal's page)")
    posts: list[Post]


TaskResult = Annotated[
    ConversionResult
    | FraudResult
    | ReferralReportResult
    | AchievementsResult
    | DraftResult
    | AchievementReportResult
    | ManipulationResult
    | InsightsResult
    | ScoreJumpsResult
    | LeaderboardsResult
    | ShowcaseResult
    | ShareResult
    | PromoteResult,
    Field(discriminator="task_type"),
]


class TaskOut(FromRow):
    id: uuid.UUID
    task_type: str
    agent: str = Field(description="The specialist that carried it out")
    status: Literal["running", "succeeded", "failed"] = Field(
        description="A long task (202) is running until its workflow finishes it"
    )
    requested_by: uuid.UUID | None = Field(description="The member who asked; none for a key")
    api_key_id: uuid.UUID | None
    payload: dict[str, Any]
    result: TaskResult | None
    error: str | None
    model: str | None = Field(
        description="What did the work where a model could: the fraud model, a language "
        "model, or the deterministic writer; none for plain code"
    )
    duration_ms: float
    created_at: datetime


class TasksOut(BaseModel):
    tasks: list[TaskOut]


class AgentOut(BaseModel):
    name: str
    summary: str
    task_types: list[str]


class AgentsOut(BaseModel):
    agents: list[AgentOut]

"""The five agents and the task types each one takes.

The orchestrator's task types are the PRD's, and fixed: dispatch is typed code
(:mod:`.service`), not a model deciding where to route. A specialist takes its share of
them and tasks of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

TaskType = Literal[
    "process_referral",
    "detect_fraud",
    "referral_report",
    "check_achievements",
    "draft_achievement",
    "achievement_report",
    "manipulation_flags",
    "competitive_insights",
    "score_jumps",
    "update_leaderboards",
    "generate_showcase",
    "share_showcase",
    "promote_posts",
]
TASK_TYPES: tuple[str, ...] = get_args(TaskType)
ORCHESTRATED = (
    "process_referral",
    "check_achievements",
    "update_leaderboards",
    "generate_showcase",
    "detect_fraud",
)


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    summary: str
    task_types: tuple[str, ...]


ORCHESTRATOR = Agent(
    "GamificationOrchestrationAgent",
    "Takes the PRD's task types and hands each one to its specialist.",
    ORCHESTRATED,
)
SPECIALISTS = (
    Agent(
        "ReferralSystemAgent",
        "Referral conversions scored by the trained fraud model, re-scoring on request, and "
        "the conversion funnel report.",
        ("process_referral", "detect_fraud", "referral_report"),
    ),
    Agent(
        "AchievementSystemAgent",
        "A member's progress and next goals; a custom achievement drafted from a plain "
        "request, for an admin to confirm; the achievement report (unlock rates, "
        "achievements nobody reaches and ones everybody reaches at once); members whose "
        "event rates jump far beyond their own history and their peers'.",
        ("check_achievements", "draft_achievement", "achievement_report", "manipulation_flags"),
    ),
    Agent(
        "LeaderboardAgent",
        "Rankings rebuilt from the event log; a member's competitive insights: the gap "
        "to the next place and to the top 10, and their best period; score jumps held out "
        "of a period's final ranks until an admin clears them.",
        ("update_leaderboards", "competitive_insights", "score_jumps"),
    ),
    Agent(
        "ShowcasePortfolioAgent",
        "Case studies drafted from the tenant's own before-and-after figures, and, once "
        "published, their schema.org markup, keywords and a post for each network; posts "
        "promoting an achievement or a referral program.",
        ("generate_showcase", "share_showcase", "promote_posts"),
    ),
)
AGENTS = (ORCHESTRATOR, *SPECIALISTS)


def specialist_for(task_type: str) -> Agent:
    """The specialist that carries out a task type (each type has exactly one)."""
    return next(agent for agent in SPECIALISTS if task_type in agent.task_types)

"""The campaign builder (5 steps): a time-boxed gamification campaign.

Goal and type (a referral drive, an achievement challenge or a leaderboard contest), its
audience, its rewards and rules (which depend on the type), its schedule in the tenant's
timezone, then the review and launch. Finishing creates the program, achievement or board
with the campaign's dates through the gamification API, as the admin; the campaign's page
then shows its results against its goal (the analytics API's ``results``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bizosaas.core.database import utcnow
from bizosaas.gamification.events.schemas import EVENT_TYPE_PATTERN
from bizosaas.wizards.applying import Finishing, NotApplied
from bizosaas.wizards.engine import Outcome, Step, Wizard, labelled, picked_by

G = "/api/v1/gamification"
KINDS = {
    "referral_drive": "Referral drive",
    "achievement_challenge": "Achievement challenge",
    "leaderboard_contest": "Leaderboard contest",
}
UNITS = {
    "referral_drive": "referrals converted",
    "achievement_challenge": "members who complete the challenge",
    "leaderboard_contest": "members taking part",
}
PLATFORMS = {"bizoholic": "Bizoholic", "coreldove": "CoreLDove"}
Kind = Literal["referral_drive", "achievement_challenge", "leaderboard_contest"]
EventType = Annotated[
    str,
    Field(
        title="What members do",
        description="The event type your servers send, e.g. order.completed",
        pattern=EVENT_TYPE_PATTERN,
        max_length=64,
    ),
]


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(title="Campaign name", min_length=1, max_length=100)
    kind: Kind = Field(title="Type", json_schema_extra=labelled(KINDS))
    goal: int = Field(
        title="Goal",
        ge=1,
        le=10_000_000,
        description="The number you aim for: referrals converted, members who complete the "
        "challenge, or members taking part in the contest",
    )


class ReferralAudience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["bizoholic", "coreldove"] = Field(
        title="Platform", json_schema_extra=labelled(PLATFORMS)
    )


class Audience(ReferralAudience):
    members: Literal["everyone", "tiers"] = Field(
        "everyone",
        title="Members",
        json_schema_extra=labelled(
            {"everyone": "Everyone", "tiers": "Only members of these tiers"}
        ),
    )
    tiers: list[str] = Field(
        default_factory=list,
        max_length=10,
        title="Tiers",
        description="As your events' `tier` property names them (gold, silver…)",
    )

    @model_validator(mode="after")
    def _tiers_named(self) -> Audience:
        self.tiers = [tier.strip() for tier in self.tiers if tier.strip()]
        if self.members == "tiers" and not self.tiers:
            raise ValueError("Name at least one tier, or choose everyone.")
        if any(len(tier) > 64 for tier in self.tiers):
            raise ValueError("A tier's name has at most 64 characters.")
        return self

    def filters(self) -> list[dict[str, Any]]:
        if self.members != "tiers":
            return []
        return [{"property": "tier", "op": "in", "value": self.tiers}]


AUDIENCES: dict[str, type[BaseModel]] = {
    "referral_drive": ReferralAudience,
    "achievement_challenge": Audience,
    "leaderboard_contest": Audience,
}


class ReferralRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    referrer_points: int = Field(50, ge=1, le=100_000, title="Points for the referrer")
    friend_points: int = Field(25, ge=0, le=100_000, title="Points for their friend")
    qualifying_event: Literal["signup", "first_purchase"] = Field(
        "signup",
        title="A referral counts on",
        json_schema_extra=labelled({"signup": "Sign-up", "first_purchase": "First purchase"}),
    )
    hold_days: int = Field(14, ge=0, le=90, title="Hold rewards for (days)")


class ChallengeRules(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_type: EventType
    times: int = Field(3, ge=1, le=100_000, title="How many times")
    points: int = Field(100, ge=0, le=1_000_000, title="Points for completing it")


class ContestRules(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_type: EventType
    property: str | None = Field(
        None,
        title="Add up",
        description="optional: a number property of the event (total…); empty: count events",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
    )
    prize: str = Field("", title="Prize", description="Shown with the board", max_length=200)


RULES: dict[str, type[BaseModel]] = {
    "referral_drive": ReferralRules,
    "achievement_challenge": ChallengeRules,
    "leaderboard_contest": ContestRules,
}


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(title="Starts", description="in your organisation's timezone")
    ends_at: datetime = Field(title="Ends", description="in your organisation's timezone")

    @model_validator(mode="after")
    def _in_order(self) -> Schedule:
        if self.starts_at.tzinfo is not None or self.ends_at.tzinfo is not None:
            raise ValueError("Give the local date and time, without an offset.")
        if self.ends_at <= self.starts_at:
            raise ValueError("The campaign must end after it starts.")
        return self


async def launch(finishing: Finishing) -> Outcome:
    answers = finishing.answers
    goal, audience, rules = answers["goal"], answers["audience"], answers["rules"]
    settings = await finishing.call("Reading your timezone", "GET", f"{G}/settings")
    zone = ZoneInfo(settings["timezone"])
    starts = datetime.fromisoformat(answers["schedule"]["starts_at"]).replace(tzinfo=zone)
    ends = datetime.fromisoformat(answers["schedule"]["ends_at"]).replace(tzinfo=zone)
    if ends <= utcnow():
        raise NotApplied(
            f"The campaign would already be over ({ends:%d %b %Y %H:%M} {zone.key}). Nothing "
            "was applied: change its schedule."
        )
    window = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
    key = f"campaign_{finishing.draft_id.hex[:8]}"
    kind = goal["kind"]
    filters = Audience.model_validate(audience).filters() if kind != "referral_drive" else []
    if kind == "referral_drive":
        made = await finishing.call(
            "The referral program",
            "POST",
            f"{G}/referrals/programs",
            _program(goal, audience, rules, window),
        )
        target, page = "program", f"/admin/referrals/programs/{made['id']}"
    elif kind == "achievement_challenge":
        made = await finishing.call(
            "The achievement",
            "POST",
            f"{G}/achievements/custom",
            {
                "key": key,
                "name": goal["name"],
                "description": f"Do it {rules['times']} times during the campaign.",
                "platform": audience["platform"],
                "trigger": {"event_type": rules["event_type"], "filters": filters},
                "threshold": rules["times"],
                "points": rules["points"],
                **window,
            },
        )
        target, page = "achievement", f"/admin/achievements/{made['id']}"
    else:
        made = await finishing.call(
            "The leaderboard",
            "POST",
            f"{G}/leaderboards",
            {
                "key": key,
                "name": goal["name"],
                "description": rules["prize"],
                "metric": "event",
                "event_type": rules["event_type"],
                "property": rules["property"],
                "operator": "sum" if rules["property"] else "count",
                "filters": filters,
                **window,
            },
        )
        target, page = "leaderboard", f"/admin/leaderboards/{made['id']}"
    when = f"from {starts:%d %b %Y %H:%M} to {ends:%d %b %Y %H:%M} ({zone.key})"
    return Outcome(
        summary=f"“{goal['name']}” is launched: {KINDS[kind].lower()} {when}.",
        done=[f"{KINDS[kind]} “{made['name']}” created", f"Goal: {goal['goal']} {UNITS[kind]}"],
        links={f"The {target}": page},
        goal={"kind": target, "id": made["id"], "target": goal["goal"], "unit": UNITS[kind]},
    )


def _program(
    goal: dict[str, Any], audience: dict[str, Any], rules: dict[str, Any], window: dict[str, str]
) -> dict[str, Any]:
    friend = rules["friend_points"]
    return {
        "name": goal["name"],
        "platform": audience["platform"],
        "status": "active",
        "referrer_reward": {"amount": str(rules["referrer_points"]), "unit": "points"},
        "referee_reward": {"amount": str(friend), "unit": "points"} if friend else None,
        "qualifying_event": rules["qualifying_event"],
        "hold_days": rules["hold_days"],
        **window,
    }


CAMPAIGNS = Wizard(
    key="campaign",
    title="Campaign builder",
    summary="A time-boxed referral drive, achievement challenge or leaderboard contest, "
    "measured against its goal.",
    steps=(
        Step("goal", "Goal and type", Goal),
        Step("audience", "Audience", picked_by("goal", "kind", AUDIENCES)),
        Step("rules", "Rewards and rules", picked_by("goal", "kind", RULES)),
        Step("schedule", "Schedule", Schedule),
    ),
    finish=launch,
    finish_label="Launch the campaign",
)

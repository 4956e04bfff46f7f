"""The onboarding wizard (4 steps) for a new tenant admin: the organisation, its platforms,
the team to invite, and a gamification starter.

Finishing sets all of it up through the services, as the admin, in this order (each part
taken back if a later one is refused):

1. the organisation's profile (auth: name, industry, timezone, colour, logo);
2. an invitation for each teammate (auth: each gets a single-use link by email);
3. the gamification settings (display name, timezone, industry);
4. the achievement categories left out are archived (the tenant keeps the rest);
5. the main leaderboard, made the tenant's main board;
6. a referral program with the rewards chosen, if wanted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from bizosaas.core.schemas import Timezone
from bizosaas.gamification.achievements.catalog import CATEGORIES
from bizosaas.wizards.applying import Finishing, Undo
from bizosaas.wizards.engine import Outcome, Step, Wizard, labelled

A = "/api/v1/auth"
G = "/api/v1/gamification"
INDUSTRIES = {
    "agency": "Marketing agency",
    "retail": "Retail and e-commerce",
    "saas": "Software",
    "services": "Professional services",
    "education": "Education",
    "health": "Health and wellbeing",
    "hospitality": "Hospitality and travel",
    "other": "Something else",
}
PLATFORMS = {"bizoholic": "Bizoholic (marketing)", "coreldove": "CoreLDove (e-commerce)"}
CATEGORY_NAMES = {c.key: c.name for c in CATEGORIES}
CategoryKey = Literal["campaigns", "growth", "store", "sales", "profile", "community"]
PERIODS = {"weekly": "Weekly", "monthly": "Monthly", "all_time": "All time"}


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(title="Organisation name", min_length=1, max_length=200)
    industry: Literal[
        "agency", "retail", "saas", "services", "education", "health", "hospitality", "other"
    ] = Field(title="Industry", json_schema_extra=labelled(INDUSTRIES))
    timezone: Timezone = Field(
        title="Timezone", description="An IANA name such as Europe/Paris; periods reset in it"
    )
    brand_colour: str = Field(
        "#24418f",
        title="Brand colour",
        pattern=r"^#[0-9a-fA-F]{6}$",
        json_schema_extra={"x-input": "color"},
    )
    logo_url: str | None = Field(
        None,
        title="Logo address",
        description="optional: an https:// image",
        max_length=500,
        pattern=r"^https://\S+$",
    )


class Platforms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platforms: Annotated[
        list[Literal["bizoholic", "coreldove"]],
        Field(
            default=["bizoholic"],
            min_length=1,
            title="Platforms you use",
            description="Your team and your referral program start on these",
            json_schema_extra=labelled(PLATFORMS),
        ),
    ]

    @field_validator("platforms")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(title="Email")
    full_name: str = Field("", title="Name", max_length=200)
    role: Literal["user", "tenant_admin"] = Field(
        "user",
        title="Role",
        json_schema_extra=labelled({"user": "Member", "tenant_admin": "Admin"}),
    )


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invites: list[Invite] = Field(
        default_factory=list,
        max_length=5,
        title="Invite your team",
        description="Each gets a single-use link by email; leave the rows empty to invite later",
    )

    @field_validator("invites")
    @classmethod
    def _each_once(cls, value: list[Invite]) -> list[Invite]:
        emails = [invite.email.lower() for invite in value]
        if len(set(emails)) != len(emails):
            raise ValueError("An email is listed twice.")
        return value


class Starter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    categories: list[CategoryKey] = Field(
        default=list(get_args(CategoryKey)),
        title="Achievement categories to enable",
        description="The predefined achievements of the others are archived (restore them "
        "any time)",
        json_schema_extra=labelled(CATEGORY_NAMES),
    )
    leaderboard_name: str = Field(
        "Points", title="Main leaderboard", description="ranks members by points", max_length=100
    )
    leaderboard_period: Literal["weekly", "monthly", "all_time"] = Field(
        "monthly", title="It starts again", json_schema_extra=labelled(PERIODS)
    )
    referral_program: bool = Field(True, title="Start a referral program")
    referrer_points: int = Field(50, ge=1, le=100_000, title="Points for the referrer")
    friend_points: int = Field(25, ge=0, le=100_000, title="Points for their friend")

    @field_validator("leaderboard_name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("Name the main leaderboard.")
        return value


async def set_up(finishing: Finishing) -> Outcome:
    answers = finishing.answers
    org, platforms = answers["organisation"], answers["platforms"]["platforms"]
    team, starter = answers["team"]["invites"], answers["starter"]
    done: list[str] = []
    links: dict[str, str] = {}

    tenant = f"{A}/tenants/{finishing.tenant_id}"
    before = await finishing.call("Reading your organisation", "GET", tenant)
    profile = {k: v for k, v in org.items() if v is not None}
    await finishing.call("Your organisation's profile", "PATCH", tenant, profile)
    kept = {k: before[k] for k in profile}
    finishing.undo_with("the profile", _undo(finishing, "PATCH", tenant, kept))
    done.append(f"{org['name']}: profile saved ({INDUSTRIES[org['industry']]}, {org['timezone']})")

    for invite in team:
        body = {**invite, "allowed_platforms": [*platforms, "bizosaas-admin"]}
        user = await finishing.call(f"Inviting {invite['email']}", "POST", f"{A}/users", body)
        path = f"{A}/users/{user['id']}"
        finishing.undo_with(
            f"the invitation of {invite['email']}", _undo(finishing, "DELETE", path)
        )
        done.append(
            f"Invited {invite['email']} as {'an admin' if invite['role'] != 'user' else 'a member'}"
        )
    if team:
        links["Your team"] = "/admin/people"

    settings = f"{G}/settings"
    was = await finishing.call("Reading the gamification settings", "GET", settings)
    await finishing.call(
        "The gamification settings",
        "PATCH",
        settings,
        {"display_name": org["name"], "timezone": org["timezone"], "industry": org["industry"]},
    )
    restore = {k: was[k] for k in ("display_name", "timezone", "industry", "main_leaderboard_id")}
    finishing.undo_with("the gamification settings", _undo(finishing, "PATCH", settings, restore))

    await _categories(finishing, set(starter["categories"]), done)
    links["Achievements"] = "/admin/achievements"

    board = await finishing.call(
        "The main leaderboard",
        "POST",
        f"{G}/leaderboards",
        {
            "key": f"main-{str(finishing.draft_id)[:8]}",
            "name": starter["leaderboard_name"],
            "metric": "points",
            "period": starter["leaderboard_period"],
        },
    )
    finishing.undo_with(
        "the leaderboard", _undo(finishing, "DELETE", f"{G}/leaderboards/{board['id']}")
    )
    await finishing.call(
        "Making it the main board", "PATCH", settings, {"main_leaderboard_id": board["id"]}
    )
    done.append(f"Main leaderboard “{board['name']}” ({PERIODS[starter['leaderboard_period']]})")
    links["The main leaderboard"] = f"/admin/leaderboards/{board['id']}"

    if starter["referral_program"]:
        program = await finishing.call(
            "The referral program", "POST", f"{G}/referrals/programs", _program(platforms, starter)
        )
        path = f"{G}/referrals/programs/{program['id']}"
        finishing.undo_with("the referral program", _undo(finishing, "DELETE", path))
        done.append(
            f"Referral program “{program['name']}”: {starter['referrer_points']} points for the "
            f"referrer, {starter['friend_points']} for their friend"
        )
        links["Referral program"] = f"/admin/referrals/programs/{program['id']}"
    return Outcome(summary=f"{org['name']} is set up.", done=done, links=links)


def _undo(finishing: Finishing, method: str, path: str, body: Any = None) -> Undo:
    """A call, as the admin, that takes back one part of the finish."""

    async def undo() -> Any:
        return await finishing.api.call(method, path, json=body)

    return undo


async def _categories(finishing: Finishing, chosen: set[str], done: list[str]) -> None:
    """Archive the active predefined achievements of the categories left out."""
    definitions = await finishing.call(
        "Reading the achievements", "GET", f"{G}/achievements/definitions?status=active"
    )
    left_out = [d for d in definitions if d["source"] == "catalog" and d["category"] not in chosen]
    for achievement in left_out:
        path = f"{G}/achievements/definitions/{achievement['id']}"
        await finishing.call(f"Archiving “{achievement['name']}”", "POST", f"{path}/archive")
        finishing.undo_with(
            f"archiving {achievement['name']}",
            _undo(finishing, "POST", f"{path}/restore"),
        )
    names = ", ".join(CATEGORY_NAMES[c] for c in CATEGORY_NAMES if c in chosen) or "none"
    done.append(f"Achievement categories enabled: {names} ({len(left_out)} archived)")


def _program(platforms: list[str], starter: dict[str, Any]) -> dict[str, Any]:
    friend = starter["friend_points"]
    return {
        "name": "Invite a friend",
        "platform": platforms[0],
        "status": "active",
        "referrer_reward": {"amount": str(starter["referrer_points"]), "unit": "points"},
        "referee_reward": {"amount": str(friend), "unit": "points"} if friend else None,
        "qualifying_event": "signup",
        "hold_days": 14,
    }


ONBOARDING = Wizard(
    key="onboarding",
    title="Onboarding",
    summary="Your organisation, its platforms, your team and a gamification starter, set up "
    "in one go.",
    steps=(
        Step("organisation", "Organisation", Organisation),
        Step("platforms", "Platforms", Platforms),
        Step("team", "Invite the team", Team),
        Step("starter", "Gamification starter", Starter),
    ),
    finish=set_up,
    finish_label="Set it all up",
)

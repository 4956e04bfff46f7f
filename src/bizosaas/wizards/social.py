"""The social media campaign wizard (5 steps): the networks, what to promote (a published
showcase, an achievement or a referral program), the posts, the schedule, then the review.

The posts step offers the ShowcasePortfolioAgent's posts (its ``share_showcase`` task for
a showcase, ``promote_posts`` for an achievement or a program), each within that
network's length limit, for the admin to edit before saving. Finishing sends them to the
publishing upstream through the gateway (``/api/v1/social``); while none is configured,
they are kept as scheduled posts with ready share links.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from bizosaas.core.database import utcnow
from bizosaas.gamification.portfolios.sharing import LIMITS
from bizosaas.wizards.applying import Finishing, NotApplied
from bizosaas.wizards.engine import Outcome, Step, Wizard, chosen_from, labelled

G = "/api/v1/gamification"
PUBLISH = "/api/v1/social/posts"
NETWORKS = {
    "x": "X (Twitter)",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
}
Network = Literal["x", "linkedin", "facebook", "instagram"]
# Where the promote step's choices come from (the page reads them through the gateway).
SUBJECTS = [
    {
        "path": f"{G}/portfolios?status=published",
        "kind": "showcase",
        "label": "title",
        "group": "Showcases",
    },
    {
        "path": f"{G}/achievements/definitions?status=active",
        "kind": "achievement",
        "label": "name",
        "group": "Achievements",
    },
    {
        "path": f"{G}/referrals/programs?status=active",
        "kind": "program",
        "label": "name",
        "group": "Referral programs",
    },
]
SUBJECT = (
    r"^(showcase|achievement|program):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


class Networks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    networks: list[Network] = Field(
        min_length=1, title="Networks", json_schema_extra=labelled(NETWORKS)
    )

    @model_validator(mode="after")
    def _once_each(self) -> Networks:
        self.networks = list(dict.fromkeys(self.networks))
        return self


class Promote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(
        title="What to promote",
        description="A published showcase, an achievement or a referral program",
        pattern=SUBJECT,
        json_schema_extra=chosen_from(SUBJECTS),
    )


def posts_for(answers: Mapping[str, Any]) -> type[BaseModel]:
    """One text per network chosen, within that network's limit."""
    fields: dict[str, Any] = {
        network: (
            str,
            Field(
                min_length=1,
                max_length=LIMITS[network],
                title=f"Post on {NETWORKS[network]}",
                description=f"at most {LIMITS[network]} characters",
            ),
        )
        for network in answers["networks"]["networks"]
    }
    return create_model(
        "Posts", __config__=ConfigDict(extra="forbid", str_strip_whitespace=True), **fields
    )


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: datetime = Field(title="Publish at", description="in your organisation's timezone")

    @model_validator(mode="after")
    def _local(self) -> Schedule:
        if self.publish_at.tzinfo is not None:
            raise ValueError("Give the local date and time, without an offset.")
        return self


async def suggest_posts(finishing: Finishing) -> dict[str, str]:
    """The ShowcasePortfolioAgent's posts for what is promoted, for each network chosen."""
    networks = finishing.answers["networks"]["networks"]
    kind, _, object_id = finishing.answers["promote"]["subject"].partition(":")
    task = (
        {"task_type": "share_showcase", "payload": {"portfolio_id": object_id}}
        if kind == "showcase"
        else {"task_type": "promote_posts", "payload": {f"{kind}_id": object_id}}
    )
    done = await finishing.call(
        "Asking the ShowcasePortfolioAgent", "POST", f"{G}/agents/tasks", task
    )
    written = {post["network"]: post["text"] for post in done["result"]["posts"]}
    return {network: written[network] for network in networks}


async def _subject(finishing: Finishing) -> dict[str, Any]:
    """The promoted object, read through the API, with the address a post links to."""
    kind, _, object_id = finishing.answers["promote"]["subject"].partition(":")
    paths = {
        "showcase": f"{G}/portfolios/{object_id}",
        "achievement": f"{G}/achievements/definitions/{object_id}",
        "program": f"{G}/referrals/programs/{object_id}",
    }
    found = await finishing.call("Reading what you promote", "GET", paths[kind])
    portal = f"{finishing.settings.public_url}/portal"
    url = {
        "showcase": found.get("public_url") or portal,
        "achievement": f"{portal}/achievements",
        "program": f"{portal}/referrals",
    }[kind]
    if kind == "showcase" and not found.get("public_url"):
        raise NotApplied("That showcase is not published any more: choose another.")
    return {**found, "kind": kind, "id": object_id, "url": url}


def share_links(network: str, text: str, url: str) -> str | None:
    """A link that opens the network's own share box with the post (None: copy it)."""
    if network == "x":
        return "https://twitter.com/intent/tweet?" + urlencode({"text": text})
    if network == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})
    if network == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})
    return None


async def publish(finishing: Finishing) -> Outcome:
    answers = finishing.answers
    subject = await _subject(finishing)
    settings = await finishing.call("Reading your timezone", "GET", f"{G}/settings")
    zone = ZoneInfo(settings["timezone"])
    at = datetime.fromisoformat(answers["schedule"]["publish_at"]).replace(tzinfo=zone)
    posts = answers["posts"]
    when = f"{at:%d %b %Y %H:%M} ({zone.key})"
    body = {
        "publish_at": at.isoformat(),
        "posts": [{"network": n, "text": text} for n, text in posts.items()],
        "link": subject["url"],
    }
    not_sent = await finishing.send_elsewhere("The publishing service", PUBLISH, body)
    if not_sent is not None:
        links = {
            f"Share on {NETWORKS[n]}": link
            for n, text in posts.items()
            if (link := share_links(n, text, subject["url"])) is not None
        }
        return Outcome(
            summary=f"{len(posts)} posts are scheduled for {when}, kept here with ready share "
            "links.",
            done=[
                f"{NETWORKS[n]}: {len(text)} of {LIMITS[n]} characters" for n, text in posts.items()
            ],
            links=links,
            waiting=f"No publishing service is connected yet: {not_sent} Share them with "
            "the links, or send them once one is connected; nothing is sent twice.",
        )
    if at < utcnow():
        when = "now"
    return Outcome(
        summary=f"{len(posts)} posts are sent to be published {when}.",
        done=[f"{NETWORKS[n]}: {len(text)} of {LIMITS[n]} characters" for n, text in posts.items()],
    )


SOCIAL = Wizard(
    key="social-campaign",
    title="Social media campaign",
    summary="Posts for your networks about a showcase, an achievement or your referral "
    "program, written for you, edited by you, scheduled.",
    steps=(
        Step("networks", "Networks", Networks),
        Step("promote", "What to promote", Promote),
        Step("posts", "Posts", posts_for, suggest=suggest_posts),
        Step("schedule", "Schedule", Schedule),
    ),
    finish=publish,
    finish_label="Schedule the posts",
)

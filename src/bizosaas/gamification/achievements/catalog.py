"""The predefined achievements every tenant starts with, as data.

Each tenant gets its own copy (``source="catalog"``) the first time its
achievements are used: its first processed event, or its first read of
achievements. Copies are made idempotently (unique ``(tenant_id, key)``,
``ON CONFLICT DO NOTHING``), so a tenant may archive or adjust them freely, and
achievements added here in a later release reach existing tenants too. Triggers
are declarative, exactly like custom ones (see :mod:`.triggers`).

Canonical event types (send these from your servers, or let members send some):

=========================  ==========================================================
``campaign.launched``      bizoholic: a marketing campaign went live
                           (``channel``: email, social, ads, ...; ``budget``: number)
``lead.captured``          bizoholic: a campaign brought in a lead
``content.published``      bizoholic: a post, page or newsletter was published
``product.listed``         coreldove: a product was put on sale (``category``)
``order.completed``        coreldove: an order was paid (``total``: number, ``currency``)
``review.received``        coreldove: a customer reviewed the store (``rating``: 1 to 5)
``profile.completed``      platform: the member filled in its profile
``member.login``           platform: the member signed in (one a day is enough)
``referral.converted``     platform: someone the member referred became a customer
``team.member_invited``    platform: the member invited a colleague
=========================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BIZOHOLIC, CORELDOVE, PLATFORM = "bizoholic", "coreldove", "bizosaas-admin"


@dataclass(frozen=True, slots=True)
class CatalogCategory:
    key: str
    name: str
    description: str
    position: int


@dataclass(frozen=True, slots=True)
class CatalogAchievement:
    key: str
    name: str
    description: str
    category: str
    platform: str
    trigger: dict[str, Any]
    levels: list[dict[str, Any]]
    icon: str = "trophy"
    hidden: bool = False
    prerequisite: str | None = None  # another catalog key


def _on(event_type: str, aggregation: str = "count", **options: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "filters": options.pop("filters", []),
        "aggregation": aggregation,
        "property": options.pop("property", None),
        "window_days": options.pop("window_days", None),
        "timezone": options.pop("timezone", "UTC"),
    }


def _once(threshold: int | float, points: int) -> list[dict[str, Any]]:
    return [{"name": "unlocked", "threshold": threshold, "points": points}]


def _tiers(*steps: tuple[int | float, int]) -> list[dict[str, Any]]:
    names = ("bronze", "silver", "gold", "platinum", "diamond")
    return [
        {"name": names[i], "threshold": threshold, "points": points}
        for i, (threshold, points) in enumerate(steps)
    ]


CATEGORIES: tuple[CatalogCategory, ...] = (
    CatalogCategory("campaigns", "Campaigns", "Launching and running marketing campaigns", 10),
    CatalogCategory("growth", "Leads and content", "Leads captured and content published", 20),
    CatalogCategory("store", "Store", "Building the product catalogue", 30),
    CatalogCategory("sales", "Sales", "Orders, revenue and happy customers", 40),
    CatalogCategory("profile", "Getting started", "Setting up and coming back", 50),
    CatalogCategory("community", "Community", "Referrals and teammates", 60),
)

ACHIEVEMENTS: tuple[CatalogAchievement, ...] = (
    # -- bizoholic: the marketing agency ---------------------------------------------------
    CatalogAchievement(
        key="first_campaign",
        name="First campaign",
        description="Launch your first campaign.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched"),
        levels=_once(1, 10),
        icon="rocket",
    ),
    CatalogAchievement(
        key="ten_campaigns",
        name="Ten campaigns",
        description="Launch ten campaigns.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched"),
        levels=_once(10, 50),
        icon="rocket",
    ),
    CatalogAchievement(
        key="campaign_veteran",
        name="Campaign veteran",
        description="Launch 25, 50, then 100 campaigns.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched"),
        levels=_tiers((25, 100), (50, 200), (100, 500)),
        icon="medal",
    ),
    CatalogAchievement(
        key="multichannel",
        name="Multichannel marketer",
        description="Launch campaigns on three different channels.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched", "distinct", property="channel"),
        levels=_once(3, 40),
        icon="broadcast",
    ),
    CatalogAchievement(
        key="campaign_sprint",
        name="Campaign sprint",
        description="Launch five campaigns within seven days.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched", window_days=7),
        levels=_once(5, 60),
        icon="lightning",
    ),
    CatalogAchievement(
        key="media_budget",
        name="Media budget",
        description="Put 1,000, 10,000, then 100,000 into campaigns.",
        category="campaigns",
        platform=BIZOHOLIC,
        trigger=_on("campaign.launched", "sum", property="budget"),
        levels=_tiers((1_000, 20), (10_000, 100), (100_000, 300)),
        icon="coins",
    ),
    CatalogAchievement(
        key="first_lead",
        name="First lead",
        description="Capture your first lead.",
        category="growth",
        platform=BIZOHOLIC,
        trigger=_on("lead.captured"),
        levels=_once(1, 10),
        icon="magnet",
    ),
    CatalogAchievement(
        key="lead_magnet",
        name="Lead magnet",
        description="Capture 100, 500, then 1,000 leads.",
        category="growth",
        platform=BIZOHOLIC,
        trigger=_on("lead.captured"),
        levels=_tiers((100, 50), (500, 150), (1_000, 400)),
        icon="magnet",
    ),
    CatalogAchievement(
        key="content_creator",
        name="Content creator",
        description="Publish ten pieces of content.",
        category="growth",
        platform=BIZOHOLIC,
        trigger=_on("content.published"),
        levels=_once(10, 30),
        icon="pen",
    ),
    # -- coreldove: the store ---------------------------------------------------------------
    CatalogAchievement(
        key="first_product",
        name="First product",
        description="List your first product.",
        category="store",
        platform=CORELDOVE,
        trigger=_on("product.listed"),
        levels=_once(1, 10),
        icon="box",
    ),
    CatalogAchievement(
        key="catalog_builder",
        name="Catalogue builder",
        description="List 25, 100, then 500 products.",
        category="store",
        platform=CORELDOVE,
        trigger=_on("product.listed"),
        levels=_tiers((25, 30), (100, 100), (500, 300)),
        icon="boxes",
    ),
    CatalogAchievement(
        key="first_sale",
        name="First sale",
        description="Complete your first order.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("order.completed"),
        levels=_once(1, 10),
        icon="cart",
    ),
    CatalogAchievement(
        key="hundred_orders",
        name="A hundred orders",
        description="Complete a hundred orders.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("order.completed"),
        levels=_once(100, 150),
        icon="cart",
    ),
    CatalogAchievement(
        key="revenue",
        name="Revenue",
        description="Sell 1,000, 10,000, then 100,000 in total.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("order.completed", "sum", property="total"),
        levels=_tiers((1_000, 25), (10_000, 100), (100_000, 500)),
        icon="chart",
    ),
    CatalogAchievement(
        key="big_ticket",
        name="Big ticket",
        description="Complete a single order of 500 or more.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("order.completed", "max", property="total"),
        levels=_once(500, 40),
        icon="diamond",
    ),
    CatalogAchievement(
        key="busy_week",
        name="Busy week",
        description="Complete 50 orders within seven days.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("order.completed", window_days=7),
        levels=_once(50, 100),
        icon="lightning",
    ),
    CatalogAchievement(
        key="five_stars",
        name="Five stars",
        description="Receive ten five-star reviews.",
        category="sales",
        platform=CORELDOVE,
        trigger=_on("review.received", filters=[{"property": "rating", "op": "eq", "value": 5}]),
        levels=_once(10, 50),
        icon="star",
    ),
    # -- platform: profile, logins, referrals ----------------------------------------------
    CatalogAchievement(
        key="profile_complete",
        name="All set",
        description="Complete your profile.",
        category="profile",
        platform=PLATFORM,
        trigger=_on("profile.completed"),
        levels=_once(1, 20),
        icon="user",
    ),
    CatalogAchievement(
        key="login_streak_7",
        name="Seven-day streak",
        description="Sign in seven days in a row.",
        category="profile",
        platform=PLATFORM,
        trigger=_on("member.login", "streak"),
        levels=_once(7, 30),
        icon="flame",
    ),
    CatalogAchievement(
        key="login_streak_30",
        name="Creature of habit",
        description="Sign in thirty days in a row.",
        category="profile",
        platform=PLATFORM,
        trigger=_on("member.login", "streak"),
        levels=_once(30, 150),
        icon="flame",
        hidden=True,
    ),
    CatalogAchievement(
        key="first_referral",
        name="First referral",
        description="Someone you referred became a customer.",
        category="community",
        platform=PLATFORM,
        trigger=_on("referral.converted"),
        levels=_once(1, 25),
        icon="handshake",
    ),
    CatalogAchievement(
        key="five_referrals",
        name="Five referrals",
        description="Five people you referred became customers.",
        category="community",
        platform=PLATFORM,
        trigger=_on("referral.converted"),
        levels=_once(5, 100),
        icon="handshake",
        prerequisite="first_referral",
    ),
    CatalogAchievement(
        key="ambassador",
        name="Ambassador",
        description="Refer 10, 25, then 50 customers.",
        category="community",
        platform=PLATFORM,
        trigger=_on("referral.converted"),
        levels=_tiers((10, 150), (25, 300), (50, 750)),
        icon="crown",
    ),
    CatalogAchievement(
        key="team_builder",
        name="Team builder",
        description="Invite five colleagues.",
        category="community",
        platform=PLATFORM,
        trigger=_on("team.member_invited"),
        levels=_once(5, 30),
        icon="people",
    ),
)

EVENT_TYPES: frozenset[str] = frozenset(a.trigger["event_type"] for a in ACHIEVEMENTS)

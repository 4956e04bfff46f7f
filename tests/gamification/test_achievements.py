"""Achievements: the catalog every tenant starts with, custom ones, progress, unlocks, goals.

Members sign in when they are made, and the auth service reports each login as a
``member.login`` event (a day of a login streak); :func:`joined` waits until it is
processed, so what a test sends is all that is left to count.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from bizosaas.core.database import RowScope
from bizosaas.gamification.achievements.models import TenantAchievement
from bizosaas.gamification.events.pipeline import Batch, Event
from bizosaas.gamification.notifications.models import Notification
from tests.gamification.factories import Member, Org, event

BASE = "/api/v1/gamification/achievements"


async def joined(org: Org) -> Member:
    """A member whose first login has been processed."""
    member = await org.member()
    await org.logged_in(member)
    return member


def at(days_ago: float, **extra: Any) -> dict[str, Any]:
    return {"occurred_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(), **extra}


async def send(org: Org, key: str, events: list[dict[str, Any]]) -> None:
    response = await org.send(events, key)
    assert response.status_code == 202, response.text
    await org.settle()


async def view(org: Org, member: Member, **params: Any) -> dict[str, Any]:
    response = await org.client.get(f"{BASE}/{org.id}", params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    return {a["key"] or a["id"]: a for a in response.json()["achievements"]}


async def profile(org: Org, member: Member) -> dict[str, Any]:
    response = await org.client.get("/api/v1/gamification/members/me", headers=member.headers)
    body: dict[str, Any] = response.json()
    return body


async def notifications(org: Org, member: Member) -> list[dict[str, Any]]:
    response = await org.client.get(
        "/api/v1/gamification/notifications", params={"limit": 100}, headers=member.headers
    )
    return [n for n in response.json()["notifications"] if n["kind"] == "achievement_unlocked"]


async def define(org: Org, **body: Any) -> httpx.Response:
    return await org.client.post(f"{BASE}/custom", json=body, headers=org.admin.headers)


async def allow(org: Org, *types: str) -> None:
    """Make event types known to the tenant (members may send them)."""
    response = await org.client.patch(
        "/api/v1/gamification/settings",
        json={"member_event_types": list(types)},
        headers=org.admin.headers,
    )
    assert response.status_code == 200, response.text


async def custom(org: Org, key: str, trigger: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await define(
        org, key=key, name=key.replace("_", " ").title(), trigger=trigger, **body
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def unlocked_levels(achievement: dict[str, Any]) -> list[int]:
    return [u["level"] for u in achievement["unlocked"]]


# -- the catalog ------------------------------------------------------------------------


async def test_a_new_tenant_sees_the_catalog_before_any_event(org: Org) -> None:
    member = await org.member()
    response = await org.client.get(f"{BASE}/{org.id}", headers=member.headers)
    body = response.json()
    achievements = body["achievements"]
    assert len(achievements) >= 20
    shown = [a for a in achievements if not a["secret"]]
    assert {a["platform"] for a in shown} == {"bizoholic", "coreldove", "bizosaas-admin"}
    categories = {c["key"] for c in body["categories"]}
    assert len(categories) >= 3
    assert all(a["category"] in categories for a in achievements)
    keys = {a["key"] for a in shown}
    assert {
        "first_campaign",
        "ten_campaigns",
        "first_product",
        "hundred_orders",
        "profile_complete",
        "first_referral",
        "five_referrals",
        "login_streak_7",
    } <= keys
    definitions = (await org.client.get(f"{BASE}/definitions", headers=org.admin.headers)).json()
    assert len(definitions) == len(achievements)
    assert {d["source"] for d in definitions} == {"catalog"}
    # Copying again (another read) adds nothing.
    again = await org.client.get(f"{BASE}/{org.id}", headers=member.headers)
    assert len(again.json()["achievements"]) == len(achievements)


async def test_the_first_campaign_unlocks_with_points_and_a_notification(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    before = await profile(org, member)
    assert before["points"] == 0 and before["achievement_count"] == 0
    await send(org, key, [event(member, "campaign.launched")])
    first = (await view(org, member))["first_campaign"]
    assert unlocked_levels(first) == [1]
    assert first["progress"]["percent"] == 100.0 and first["progress"]["next_level"] is None
    after = await profile(org, member)
    assert after["points"] == 10
    assert after["achievement_count"] == 1
    told = [n for n in await notifications(org, member) if n["data"]["key"] == "first_campaign"]
    assert len(told) == 1
    assert told[0]["title"] == "Achievement unlocked: First campaign"
    assert told[0]["data"]["points"] == 10


async def test_ten_campaigns_unlock_at_the_tenth_not_the_ninth(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched") for _ in range(9)])
    ten = (await view(org, member))["ten_campaigns"]
    assert ten["unlocked"] == []
    assert ten["progress"] == {
        "value": 9,
        "next_level": 1,
        "next_threshold": 10,
        "percent": 90.0,
    }
    await send(org, key, [event(member, "campaign.launched")])
    ten = (await view(org, member))["ten_campaigns"]
    assert unlocked_levels(ten) == [1]


# -- custom achievements ----------------------------------------------------------------


async def test_levels_unlock_in_turn_each_with_its_points(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    await custom(
        org,
        "closer",
        {"event_type": "deal.closed"},
        levels=[
            {"name": "bronze", "threshold": 1, "points": 5},
            {"name": "silver", "threshold": 3, "points": 15},
            {"name": "gold", "threshold": 5, "points": 50},
        ],
    )
    expected_points = 0
    for sent, levels, earned in [(1, [1], 5), (2, [1, 2], 15), (2, [1, 2, 3], 50)]:
        await send(org, key, [event(member, "deal.closed") for _ in range(sent)])
        closer = (await view(org, member))["closer"]
        assert unlocked_levels(closer) == levels
        expected_points += earned
        assert (await profile(org, member))["points"] == expected_points
    assert [u["name"] for u in closer["unlocked"]] == ["bronze", "silver", "gold"]
    titles = sorted(
        n["title"] for n in await notifications(org, member) if n["data"]["key"] == "closer"
    )
    assert titles == [
        "Achievement unlocked: Closer (bronze)",
        "Achievement unlocked: Closer (gold)",
        "Achievement unlocked: Closer (silver)",
    ]
    assert (await profile(org, member))["achievement_count"] == 1


async def test_a_sum_over_a_property_counts_only_matching_events(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    await custom(
        org,
        "big_euro_deals",
        {
            "event_type": "deal.closed",
            "filters": [
                {"property": "currency", "op": "eq", "value": "EUR"},
                {"property": "amount", "op": "gte", "value": 100},
            ],
            "aggregation": "sum",
            "property": "amount",
        },
        threshold=1000,
        points=30,
    )
    await send(
        org,
        key,
        [
            event(member, "deal.closed", currency="EUR", amount=600),
            event(member, "deal.closed", currency="USD", amount=900),  # another currency
            event(member, "deal.closed", currency="EUR", amount=50),  # below the filter
            event(member, "deal.closed", currency="EUR", amount="lots"),  # not a number
        ],
    )
    deals = (await view(org, member))["big_euro_deals"]
    assert deals["progress"]["value"] == 600 and deals["unlocked"] == []
    await send(org, key, [event(member, "deal.closed", currency="EUR", amount=400.5)])
    deals = (await view(org, member))["big_euro_deals"]
    assert deals["progress"]["value"] == 1000.5
    assert unlocked_levels(deals) == [1]


async def test_distinct_counts_different_values_once(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    channels = ["email", "email", "social", "email"]
    await send(org, key, [event(member, "campaign.launched", channel=c) for c in channels])
    multichannel = (await view(org, member))["multichannel"]
    assert multichannel["progress"]["value"] == 2 and multichannel["unlocked"] == []
    await send(org, key, [event(member, "campaign.launched", channel="ads")])
    assert unlocked_levels((await view(org, member))["multichannel"]) == [1]


async def test_a_seven_day_login_streak(org: Org) -> None:
    """Six earlier days in a row, and today's sign-in (made with the member) is the seventh."""
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [{**event(member, "member.login"), **at(d)} for d in range(6, 0, -1)])
    streak = (await view(org, member))["login_streak_7"]
    assert unlocked_levels(streak) == [1]
    assert streak["progress"]["value"] >= 7


async def test_a_gap_breaks_a_streak(org: Org) -> None:
    await allow(org, "workout.logged")
    member = await joined(org)
    key = await org.api_key()
    await custom(
        org,
        "five_days_running",
        {"event_type": "workout.logged", "aggregation": "streak", "timezone": "Europe/Paris"},
        threshold=5,
        points=20,
    )
    # Days 9, 8 and 7 ago, a missed day 6, then days 5 to 2 ago: two runs of 3 and 4.
    days = [9, 8, 7, 5, 4, 3, 2]
    await send(org, key, [{**event(member, "workout.logged"), **at(d)} for d in days])
    running = (await view(org, member))["five_days_running"]
    assert running["unlocked"] == []
    # Nothing yesterday or today: as of today the streak has lapsed.
    assert running["progress"]["value"] == 0
    await send(org, key, [{**event(member, "workout.logged"), **at(1)}])
    running = (await view(org, member))["five_days_running"]
    assert unlocked_levels(running) == [1]
    assert running["progress"]["value"] == 5


async def test_a_rolling_window_counts_only_recent_days(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    await custom(
        org, "hot_streak", {"event_type": "deal.closed", "window_days": 3}, threshold=3, points=10
    )
    await send(org, key, [{**event(member, "deal.closed"), **at(d)} for d in (9, 5, 1)])
    hot = (await view(org, member))["hot_streak"]
    assert hot["progress"]["value"] == 1 and hot["unlocked"] == []  # only yesterday's is recent
    await send(org, key, [{**event(member, "deal.closed"), **at(d)} for d in (2, 0.01)])
    hot = (await view(org, member))["hot_streak"]
    assert unlocked_levels(hot) == [1]
    assert hot["progress"]["value"] == 3


async def test_hidden_achievements_are_secret_until_unlocked(org: Org) -> None:
    await allow(org, "easter.egg")
    member = await joined(org)
    key = await org.api_key()
    created = await custom(
        org,
        "egg_hunter",
        {"event_type": "easter.egg"},
        threshold=2,
        points=7,
        hidden=True,
        description="Find two eggs",
    )
    before = await view(org, member)
    assert "egg_hunter" not in before
    secret = before[created["id"]]
    assert secret["secret"] is True and secret["name"] == "Secret achievement"
    assert secret["trigger"] is None and secret["levels"] == [] and secret["progress"] is None
    assert "egg" not in str(secret).lower()
    # Those who manage achievements see it whole, for a member too.
    admin_view = await view(org, org.admin, user_id=member.id)
    assert admin_view["egg_hunter"]["trigger"]["event_type"] == "easter.egg"
    goals = await org.client.get(
        f"{BASE}/{org.id}/next-goals", params={"limit": 20}, headers=member.headers
    )
    assert created["id"] not in {g["id"] for g in goals.json()["goals"]}
    await send(org, key, [event(member, "easter.egg") for _ in range(2)])
    after = (await view(org, member))["egg_hunter"]
    assert after["secret"] is False and after["name"] == "Egg Hunter"
    assert unlocked_levels(after) == [1]


async def test_a_prerequisite_opens_counting_when_its_first_level_unlocks(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    await custom(org, "deal_starter", {"event_type": "deal.closed"}, threshold=2, points=5)
    await custom(
        org,
        "deal_pro",
        {"event_type": "deal.closed"},
        threshold=2,
        points=50,
        prerequisite="deal_starter",
    )
    await send(org, key, [event(member, "deal.closed")])
    shown = await view(org, member)
    assert shown["deal_starter"]["progress"]["value"] == 1
    assert shown["deal_pro"]["progress"]["value"] == 0  # closed before the prerequisite
    assert shown["deal_pro"]["prerequisite"] == "deal_starter"
    await send(org, key, [event(member, "deal.closed")])  # unlocks the starter, counts for pro
    shown = await view(org, member)
    assert unlocked_levels(shown["deal_starter"]) == [1]
    assert shown["deal_pro"]["progress"]["value"] == 1
    await send(org, key, [event(member, "deal.closed")])
    assert unlocked_levels((await view(org, member))["deal_pro"]) == [1]


async def test_events_outside_the_start_and_end_dates_are_ignored(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    now = datetime.now(UTC)
    created = await custom(
        org,
        "autumn_sale",
        {"event_type": "deal.closed"},
        threshold=5,
        starts_at=(now - timedelta(days=5)).isoformat(),
        ends_at=(now - timedelta(days=2)).isoformat(),
    )
    await send(org, key, [{**event(member, "deal.closed"), **at(d)} for d in (7, 3, 4, 1, 0)])
    sale = (await view(org, member))["autumn_sale"]
    assert sale["progress"]["value"] == 2  # 4 and 3 days ago
    goals = await org.client.get(
        f"{BASE}/{org.id}/next-goals", params={"limit": 20}, headers=member.headers
    )
    assert created["id"] not in {g["id"] for g in goals.json()["goals"]}  # it is over


async def test_the_same_event_sent_twice_counts_once(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    launched = event(member, "campaign.launched")
    await send(org, key, [launched])
    again = await org.send([launched], key)
    assert again.json()["duplicates"] == 1
    await org.settle()
    assert (await view(org, member))["ten_campaigns"]["progress"]["value"] == 1


# -- concurrency --------------------------------------------------------------------------


async def test_concurrent_requests_unlock_once(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    responses = await asyncio.gather(
        *(org.send([event(member, "campaign.launched")], key) for _ in range(20))
    )
    assert all(r.status_code == 202 for r in responses)
    await org.settle()
    shown = await view(org, member)
    assert shown["campaign_veteran"]["progress"]["value"] == 20
    assert unlocked_levels(shown["first_campaign"]) == [1]
    told = [n for n in await notifications(org, member) if n["data"]["key"] == "first_campaign"]
    assert len(told) == 1


async def test_concurrent_batches_crossing_one_threshold_unlock_and_notify_once(
    org: Org,
) -> None:
    """Batches applied in parallel transactions (without the processor's tenant lock) all see
    no progress and all cross the first level: the unique index lets one row in."""
    member = await joined(org)
    await org.client.get(f"{BASE}/{org.id}", headers=member.headers)  # the catalog is copied
    app_state = org.app.state
    processor, database = app_state.services.processor, app_state.runtime.database

    async def apply(batch: Batch) -> Batch:
        async with database.transaction(RowScope.tenant(org.id)) as db:
            await processor.apply(db, batch)
        return batch

    now = datetime.now(UTC)
    batches = [
        Batch(org.id, [Event(f"race-{i}", "campaign.launched", member.id, {}, now)])
        for i in range(12)
    ]
    done = await asyncio.gather(*(apply(b) for b in batches))
    drafts = [n for b in done for n in b.notifications if n.data["key"] == "first_campaign"]
    assert len(drafts) == 1
    async with database.transaction(RowScope.tenant(org.id)) as db:
        first_id = uuid.UUID((await view(org, member))["first_campaign"]["id"])
        rows = (
            await db.execute(
                select(func.count()).where(
                    TenantAchievement.achievement_id == first_id,
                    TenantAchievement.user_id == member.id,
                )
            )
        ).scalar_one()
        stored = (
            await db.execute(
                select(func.count()).where(
                    Notification.user_id == member.id,
                    Notification.dedupe_key == f"unlock:{first_id}:{member.id}:0",
                )
            )
        ).scalar_one()
    assert rows == 1 and stored == 1
    assert (await profile(org, member))["points"] == 10  # awarded once


# -- defining achievements ----------------------------------------------------------------


async def test_bad_definitions_get_a_clear_error_and_store_nothing(org: Org) -> None:
    before = await org.client.get(f"{BASE}/definitions", headers=org.admin.headers)
    good: dict[str, Any] = {
        "key": "good_one",
        "name": "Good one",
        "trigger": {"event_type": "order.completed"},
        "threshold": 3,
    }
    trigger = good["trigger"]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**good, "trigger": {"event_type": "deal.nobody_sends"}}, 400, "member_event_types"),
        ({**good, "threshold": -1}, 422, "greater than 0"),
        (
            {
                **{k: v for k, v in good.items() if k != "threshold"},
                "levels": [{"threshold": 5}, {"threshold": 5}],
            },
            422,
            "strictly increasing",
        ),
        ({**good, "trigger": {**trigger, "timezone": "Mars/Olympus"}}, 422, "unknown timezone"),
        ({**good, "trigger": {**trigger, "aggregation": "sum"}}, 422, "needs a property"),
        (
            {
                **good,
                "trigger": {
                    **trigger,
                    "filters": [{"property": "total", "op": "gt", "value": "x"}],
                },
            },
            422,
            "compares numbers",
        ),
        (
            {**good, "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
            422,
            "ends_at must be after starts_at",
        ),
        ({**good, "prerequisite": "no_such_thing"}, 400, "no_such_thing"),
        ({**good, "category": "no_such_category"}, 400, "no_such_category"),
        ({**good, "key": "first_campaign"}, 409, "already exists"),
    ]
    for body, status, message in cases:
        response = await define(org, **body)
        assert response.status_code == status, (body, response.text)
        assert message in response.text, response.text
    after = await org.client.get(f"{BASE}/definitions", headers=org.admin.headers)
    assert len(after.json()) == len(before.json())


async def test_known_event_types_include_those_the_tenant_sent(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    refused = await define(
        org, key="webinars", name="Webinars", trigger={"event_type": "webinar.hosted"}
    )
    assert refused.status_code == 400
    await send(org, key, [event(member, "webinar.hosted")])
    accepted = await define(
        org, key="webinars", name="Webinars", trigger={"event_type": "webinar.hosted"}
    )
    assert accepted.status_code == 201, accepted.text
    again = await define(org, key="webinars", name="Again", trigger={"event_type": "member.login"})
    assert again.status_code == 409


async def test_changing_and_archiving_a_definition(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    deals = await custom(org, "deals", {"event_type": "deal.closed"}, threshold=5, points=10)
    path = f"{BASE}/definitions/{deals['id']}"
    changed = await org.client.patch(
        path, json={"threshold": 2, "name": "Two deals"}, headers=org.admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["levels"] == [
        {"level": 1, "name": "unlocked", "threshold": 2, "points": 10}
    ]
    refused = await org.client.patch(
        path, json={"trigger": {"event_type": "deal.unheard_of"}}, headers=org.admin.headers
    )
    assert refused.status_code == 400
    assert (await org.client.get(path, headers=org.admin.headers)).json()["trigger"][
        "event_type"
    ] == "deal.closed"
    # A cycle of prerequisites is refused.
    await custom(org, "deals_plus", {"event_type": "deal.closed"}, prerequisite="deals")
    cycle = await org.client.patch(
        path, json={"prerequisite": "deals_plus"}, headers=org.admin.headers
    )
    assert cycle.status_code == 400 and "cycle" in cycle.text
    # Archived: no longer counts, and no longer shown while nothing was unlocked.
    archived = await org.client.post(f"{path}/archive", headers=org.admin.headers)
    assert archived.json()["status"] == "archived"
    await send(org, key, [event(member, "deal.closed") for _ in range(3)])
    assert "deals" not in await view(org, member)
    restored = await org.client.post(f"{path}/restore", headers=org.admin.headers)
    assert restored.json()["status"] == "active"
    shown = (await view(org, member))["deals"]
    assert shown["progress"]["value"] == 0 and shown["name"] == "Two deals"


async def test_archiving_keeps_unlocks(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched")])
    first = (await view(org, member))["first_campaign"]
    archived = await org.client.post(
        f"{BASE}/definitions/{first['id']}/archive", headers=org.admin.headers
    )
    assert archived.status_code == 200
    first = (await view(org, member))["first_campaign"]
    assert first["status"] == "archived" and unlocked_levels(first) == [1]
    assert (await profile(org, member))["achievement_count"] == 1


async def test_categories_can_be_added_and_used(org: Org) -> None:
    await allow(org, "deal.closed")
    created = await org.client.post(
        f"{BASE}/categories",
        json={"key": "deals", "name": "Deals", "position": 5},
        headers=org.admin.headers,
    )
    assert created.status_code == 201, created.text
    dup = await org.client.post(
        f"{BASE}/categories", json={"key": "deals", "name": "Again"}, headers=org.admin.headers
    )
    assert dup.status_code == 409
    deal = await custom(org, "one_deal", {"event_type": "deal.closed"}, category="deals")
    assert deal["category"] == "deals"
    member = await org.member()
    listed = await org.client.get(f"{BASE}/categories", headers=member.headers)
    assert listed.json()[0]["key"] == "deals"  # by position


# -- who may do what ------------------------------------------------------------------------


async def test_managing_achievements_needs_the_permission(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    someone = (await org.client.get(f"{BASE}/definitions", headers=org.admin.headers)).json()[0]
    attempts = [
        ("POST", f"{BASE}/custom", {"key": "x", "name": "X", "trigger": {"event_type": "a.b"}}),
        ("GET", f"{BASE}/definitions", None),
        ("GET", f"{BASE}/definitions/{someone['id']}", None),
        ("PATCH", f"{BASE}/definitions/{someone['id']}", {"name": "Mine"}),
        ("POST", f"{BASE}/definitions/{someone['id']}/archive", None),
        ("POST", f"{BASE}/categories", {"key": "x", "name": "X"}),
    ]
    for headers in (member.headers, {"X-API-Key": key}):
        for method, path, body in attempts:
            response = await org.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
    unchanged = await org.client.get(
        f"{BASE}/definitions/{someone['id']}", headers=org.admin.headers
    )
    assert unchanged.json()["name"] == someone["name"]
    assert unchanged.json()["status"] == "active"


async def test_another_tenants_achievements_answer_404(org: Org, other_org: Org) -> None:
    member = await org.member()
    other_member = await other_org.member()
    for path in (f"{BASE}/{other_org.id}", f"{BASE}/{other_org.id}/next-goals"):
        response = await org.client.get(path, headers=member.headers)
        assert response.status_code == 404, path
    # An admin asking about another tenant's member in its own tenant's path: 404 too.
    response = await org.client.get(
        f"{BASE}/{org.id}", params={"user_id": str(other_member.id)}, headers=org.admin.headers
    )
    assert response.status_code == 404
    # A member may not look at another member's progress.
    peer = await org.member()
    response = await org.client.get(
        f"{BASE}/{org.id}", params={"user_id": str(peer.id)}, headers=member.headers
    )
    assert response.status_code == 403


# -- next goals ---------------------------------------------------------------------------


async def test_next_goals_are_the_closest_to_completion(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched") for _ in range(9)])
    await send(org, key, [event(member, "product.listed") for _ in range(2)])
    response = await org.client.get(
        f"{BASE}/{org.id}/next-goals", params={"limit": 4}, headers=member.headers
    )
    goals = response.json()["goals"]
    assert [(g["key"], g["percent"]) for g in goals] == [
        ("ten_campaigns", 90.0),
        ("campaign_veteran", 36.0),
        ("login_streak_7", 14.3),  # today's sign-in is day one
        ("catalog_builder", 8.0),
    ]
    assert goals[0]["next_threshold"] == 10 and goals[0]["value"] == 9
    everything = await org.client.get(
        f"{BASE}/{org.id}/next-goals", params={"limit": 20}, headers=member.headers
    )
    listed = everything.json()["goals"]
    keys = [g["key"] for g in listed]
    assert "first_campaign" not in keys  # fully unlocked
    assert "login_streak_30" not in keys  # hidden
    percents = [g["percent"] for g in listed]
    assert percents == sorted(percents, reverse=True)


# -- replay and erasure -------------------------------------------------------------------


async def replay(org: Org) -> None:
    started = await org.client.post(
        "/api/v1/gamification/events/replays", json={}, headers=org.admin.headers
    )
    assert started.status_code == 202, started.text
    for _ in range(300):
        current = await org.client.get(
            "/api/v1/gamification/events/replays/current", headers=org.admin.headers
        )
        if current.json()["state"] != "running":
            assert current.json()["state"] == "done", current.text
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the replay did not finish")


async def test_a_replay_rebuilds_the_same_progress_and_points_without_notifying_again(
    org: Org,
) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched") for _ in range(10)])
    before = await view(org, member)
    points = (await profile(org, member))["points"]
    assert points == 10 + 50 + 60  # first campaign, ten campaigns, a sprint of five in a week
    told = len(await notifications(org, member))
    await replay(org)
    after = await view(org, member)
    assert after["ten_campaigns"] == before["ten_campaigns"]
    assert (await profile(org, member))["points"] == points
    assert (await profile(org, member))["achievement_count"] == 3
    assert len(await notifications(org, member)) == told


async def test_a_changed_rule_applies_to_the_past_only_after_a_replay(org: Org) -> None:
    await allow(org, "deal.closed")
    member = await joined(org)
    key = await org.api_key()
    deals = await custom(org, "deals", {"event_type": "deal.closed"}, threshold=5, points=10)
    await send(org, key, [event(member, "deal.closed") for _ in range(3)])
    lowered = await org.client.patch(
        f"{BASE}/definitions/{deals['id']}", json={"threshold": 2}, headers=org.admin.headers
    )
    assert lowered.status_code == 200
    shown = (await view(org, member))["deals"]
    assert shown["unlocked"] == [] and shown["progress"]["value"] == 3  # the past is as it was
    await replay(org)
    shown = (await view(org, member))["deals"]
    assert unlocked_levels(shown) == [1]
    assert (await profile(org, member))["points"] == 10
    assert [n["data"]["key"] for n in await notifications(org, member)] == ["deals"]


async def test_erasing_a_member_forgets_progress_and_unlocks(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched") for _ in range(3)])
    erased = await org.client.delete(
        f"/api/v1/gamification/members/{member.id}", headers=org.admin.headers
    )
    assert erased.status_code == 204
    shown = await view(org, org.admin, user_id=member.id)
    assert shown["first_campaign"]["unlocked"] == []
    assert shown["ten_campaigns"]["progress"]["value"] == 0


async def test_the_designer_sees_who_would_already_qualify_before_saving(org: Org) -> None:
    big, small, none = await org.member(), await org.member(), await org.member()
    key = await org.api_key()
    orders = [event(big, "order.completed", total=300) for _ in range(3)]
    orders += [event(small, "order.completed", total=100)]
    orders += [event(none, "lead.captured")]
    assert (await org.send(orders, key)).status_code == 202
    await org.settle()
    body = {
        "key": "big_spender",
        "name": "Big spender",
        "trigger": {"event_type": "order.completed", "aggregation": "sum", "property": "total"},
        "levels": [
            {"name": "bronze", "threshold": 100, "points": 5},
            {"name": "gold", "threshold": 800, "points": 20},
        ],
    }
    answer = await org.client.post(
        "/api/v1/gamification/achievements/preview", json=body, headers=org.admin.headers
    )
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["qualifying"] == 2 and preview["members_counted"] == 2
    assert [(lv["name"], lv["members"]) for lv in preview["levels"]] == [("bronze", 2), ("gold", 1)]
    assert preview["events_scanned"] == 4
    listed = await org.client.get(
        "/api/v1/gamification/achievements/definitions", headers=org.admin.headers
    )
    assert "big_spender" not in {a["key"] for a in listed.json()}  # nothing was stored
    body["levels"][0]["threshold"] = -1
    bad = await org.client.post(
        "/api/v1/gamification/achievements/preview", json=body, headers=org.admin.headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "levels", 0, "threshold"]
    body["levels"][0]["threshold"] = 100
    member = await org.client.post(
        "/api/v1/gamification/achievements/preview", json=body, headers=big.headers
    )
    assert member.status_code == 403

"""The demo tenants' gamification, as `bizosaas up` seeds it: once, and it comes alive."""

from __future__ import annotations

from bizosaas.gamification.demo import DemoMember, seed_demo_gamification
from tests.gamification.factories import Org


async def test_the_demo_seed_is_idempotent_and_fills_boards_and_achievements(org: Org) -> None:
    members = [await org.member(), await org.member()]
    context = org.app.state.services
    tenants = {
        org.id: ("Demo Co", [DemoMember(m.id, f"Member {i}") for i, m in enumerate(members)])
    }
    first = await seed_demo_gamification(context, tenants)
    again = await seed_demo_gamification(context, tenants)
    assert first > 0 and again == 0
    await org.settle()
    boards = (
        await org.client.get("/api/v1/gamification/leaderboards", headers=members[0].headers)
    ).json()
    points = next(b for b in boards if b["key"] == "points")
    entries = await org.client.get(
        f"/api/v1/gamification/leaderboards/{points['id']}/entries", headers=members[0].headers
    )
    assert len(entries.json()["entries"]) == 2  # both earned points from unlocks
    settings = await org.client.get("/api/v1/gamification/settings", headers=org.admin.headers)
    assert settings.json()["main_leaderboard_id"] == points["id"]
    me = await org.client.get("/api/v1/gamification/members/me", headers=members[0].headers)
    assert me.json()["achievement_count"] > 0 and me.json()["leaderboard_rank"] in (1, 2)

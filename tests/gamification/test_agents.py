"""The gamification agents through their API: the five and their task types, typed
dispatch, permissions and tenancy, the task records, and each specialist's results."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from bizosaas.core.database import RowScope
from bizosaas.gamification.achievements.models import Achievement
from tests.gamification.factories import Member, Org, event
from tests.gamification.test_achievements import at, custom, joined, send
from tests.gamification.test_leaderboards import make_board
from tests.gamification.test_referrals import (
    code_of,
    convert,
    converted,
    doubtful,
    make_program,
    person,
    referee,
    signup,
)

AGENTS = "/api/v1/gamification/agents"


async def run(org: Org, headers: dict[str, str], task_type: str, **payload: Any) -> httpx.Response:
    body = {"task_type": task_type, "payload": _json(payload)}
    return await org.client.post(f"{AGENTS}/tasks", json=body, headers=headers)


async def ran(org: Org, headers: dict[str, str], task_type: str, **payload: Any) -> dict[str, Any]:
    """A task that succeeded: answered at once (201), or a long one (202) once finished."""
    response = await run(org, headers, task_type, **payload)
    task = await finished(org, headers, response) if response.status_code == 202 else None
    if task is None:
        assert response.status_code == 201, response.text
        task = response.json()
    assert task["status"] == "succeeded" and task["result"]["task_type"] == task_type, task
    return task


async def finished(org: Org, headers: dict[str, str], answer: httpx.Response) -> dict[str, Any]:
    """A long task (202: recorded as running, with no result yet), read back by its id
    until its workflow has finished it."""
    assert answer.status_code == 202, answer.text
    task: dict[str, Any] = answer.json()
    assert (task["status"], task["result"]) == ("running", None)
    for _ in range(600):
        read = await org.client.get(f"{AGENTS}/tasks/{task['id']}", headers=headers)
        assert read.status_code == 200, read.text
        task = read.json()
        if task["status"] != "running":
            return task
        await asyncio.sleep(0.1)
    raise AssertionError("the task never finished")


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return str(value) if isinstance(value, uuid.UUID) else value


async def tasks(org: Org) -> list[dict[str, Any]]:
    response = await org.client.get(f"{AGENTS}/tasks", headers=org.admin.headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["tasks"]
    return listed


async def test_the_five_agents_and_their_task_types(org: Org) -> None:
    member = await org.member()
    response = await org.client.get(AGENTS, headers=member.headers)
    assert response.status_code == 200
    agents = {a["name"]: a["task_types"] for a in response.json()["agents"]}
    assert set(agents["GamificationOrchestrationAgent"]) == {
        "process_referral",
        "check_achievements",
        "update_leaderboards",
        "generate_showcase",
        "detect_fraud",
    }
    assert {"ReferralSystemAgent", "AchievementSystemAgent", "LeaderboardAgent"} < set(agents)
    assert "generate_showcase" in agents["ShowcasePortfolioAgent"]
    assert (await org.client.get(AGENTS)).status_code == 401


async def test_a_referral_task_is_scored_recorded_and_read_back_by_whoever_asked(
    org: Org, other_org: Org
) -> None:
    await make_program(org)
    code = (await code_of(org, await person(org, "Alice Archer")))["code"]
    newcomer = await referee(org)
    key = await org.api_key()
    task = await ran(org, {"X-API-Key": key}, "process_referral", code=code, referee_id=newcomer.id)
    conversion = task["result"]["conversion"]
    assert conversion["status"] == "approved" and conversion["created"] is True
    assert task["agent"] == "ReferralSystemAgent" and task["model"].startswith("fraud model")
    assert task["requested_by"] is None and task["api_key_id"] is not None
    assert task["payload"]["referee_id"] == str(newcomer.id) and task["duration_ms"] > 0
    # The same conversion through the referral API: counted once.
    again = await convert(org, key, code=code, referee_id=newcomer.id)
    assert again.status_code == 200 and again.json()["id"] == conversion["id"]
    url = f"{AGENTS}/tasks/{task['id']}"
    assert (await org.client.get(url, headers={"X-API-Key": key})).json() == task
    assert (await org.client.get(url, headers=org.admin.headers)).status_code == 200
    assert (await org.client.get(url, headers=newcomer.headers)).status_code == 404
    assert (await other_org.client.get(url, headers=other_org.admin.headers)).status_code == 404
    assert [t["id"] for t in await tasks(org)] == [task["id"]]
    assert await tasks(other_org) == []


async def test_bad_tasks_are_refused_and_leave_nothing_behind(org: Org, other_org: Org) -> None:
    member = await org.member()
    unknown = await run(org, org.admin.headers, "launch_rockets")
    assert unknown.status_code == 422
    assert "task_type" in unknown.text
    mismatched = await run(org, org.admin.headers, "detect_fraud", referee_id=uuid.uuid4())
    assert mismatched.status_code == 422
    missing = await run(org, org.admin.headers, "detect_fraud", conversion_id=uuid.uuid4())
    assert missing.status_code == 404
    forbidden = await run(org, member.headers, "update_leaderboards")
    assert forbidden.status_code == 403
    by_member = await run(
        org, member.headers, "process_referral", code="ALICE-7K3Q", referee_id=member.id
    )
    assert by_member.status_code == 403
    stranger = await other_org.member()
    theirs = await run(org, org.admin.headers, "check_achievements", user_id=stranger.id)
    assert theirs.status_code == 404
    assert await tasks(org) == []


async def test_detect_fraud_rescores_a_held_conversion_for_an_admin(org: Org) -> None:
    await make_program(org)
    code = (await code_of(org, await person(org, "Alice Archer")))["code"]
    key = await org.api_key()
    held = await doubtful(org, key, code, await referee(org))
    task = await ran(org, org.admin.headers, "detect_fraud", conversion_id=held["id"])
    result = task["result"]
    assert result["status"] == "review" and result["stored_score"] == held["risk_score"]
    assert result["decision"] != "approved" and result["score"] >= 0.3
    assert any(r["code"] == "model" for r in result["reasons"])
    member = await org.member()
    refused = await run(org, member.headers, "detect_fraud", conversion_id=held["id"])
    assert refused.status_code == 403


async def test_a_member_checks_their_achievements_and_next_goals(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    await send(org, key, [event(member, "campaign.launched")])
    mine = (await ran(org, member.headers, "check_achievements"))["result"]
    assert mine["unlocked_count"] >= 1 and mine["points_earned"] >= 10
    assert mine["next_goals"]["user_id"] == str(member.id)
    assert mine["next_goals"]["goals"]
    other = await org.member()
    assert (await run(org, other.headers, "check_achievements", user_id=member.id)).status_code == (
        403
    )
    for_admin = await ran(org, org.admin.headers, "check_achievements", user_id=member.id)
    assert for_admin["result"]["unlocked_count"] == mine["unlocked_count"]


async def test_the_achievement_report_finds_what_nobody_and_everybody_reaches(org: Org) -> None:
    key = await org.api_key()
    members: list[Member] = [await joined(org) for _ in range(5)]
    unreachable = await custom(
        org,
        "thousand_campaigns",
        {"event_type": "campaign.launched"},
        levels=[{"name": "legend", "threshold": 1000, "points": 500}],
    )
    async with org.app.state.services.runtime.database.transaction(
        RowScope.tenant(org.id)
    ) as db:  # made two months ago
        await db.execute(
            update(Achievement)
            .where(Achievement.id == uuid.UUID(unreachable["id"]))
            .values(created_at=datetime.now(UTC) - timedelta(days=60))
        )
    await send(org, key, [event(m, "campaign.launched") for m in members])
    report = (await ran(org, org.admin.headers, "achievement_report"))["result"]
    found = {(f["kind"], f["achievement_key"]) for f in report["findings"]}
    assert ("nobody_reaches", "thousand_campaigns") in found
    assert ("everybody_at_once", "first_campaign") in found
    assert report["unlock_rate"] is not None
    assert any(a["key"] == "first_campaign" for a in report["by_achievement"])
    member = await org.member()
    assert (await run(org, member.headers, "achievement_report")).status_code == 403


async def test_the_referral_report_and_rebuilt_leaderboards(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    for _ in range(2):
        newcomer = await referee(org)
        assert (await signup(org, key, code, newcomer)).status_code == 201
        await converted(org, key, code=code, referee_id=newcomer.id)
    report = (await ran(org, org.admin.headers, "referral_report"))["result"]
    assert report["funnel"]["signups"] == 2 and report["funnel"]["conversions"] == 2
    (top,) = report["top_referrers"]
    assert top["user_id"] == str(alice.id) and top["approved"] == 2
    sales = await make_board(org)
    seller = await joined(org)
    await send(org, key, [event(seller, "order.completed", total=120)])
    boards = (await ran(org, org.admin.headers, "update_leaderboards"))["result"]["boards"]
    assert {(b["id"], b["name"], b["members"]) for b in boards} == {(sales["id"], "Sales", 1)}
    assert {t["task_type"] for t in await tasks(org)} == {"referral_report", "update_leaderboards"}


async def test_a_showcase_is_drafted_and_the_writer_named(org: Org) -> None:
    task = await ran(org, org.admin.headers, "generate_showcase")
    portfolio = task["result"]["portfolio"]
    assert portfolio["status"] == "draft" and portfolio["title"]
    assert task["model"] == "language model test-writer"  # the suite's model (test_writers)
    listed = await org.client.get(
        "/api/v1/gamification/portfolios", params={"status": "draft"}, headers=org.admin.headers
    )
    assert portfolio["id"] in {p["id"] for p in listed.json()}
    member = await org.member()
    assert (await run(org, member.headers, "generate_showcase")).status_code == 403


async def quick_fingers(org: Org, burst: int) -> Member:
    """Six steady members and one, Quick Fingers, with two events a day for ten days; today
    the steady ones send three each, Quick Fingers ``burst``."""
    key = await org.api_key()
    steady = [await org.member(full_name=f"Steady {n}") for n in range(6)]
    cheat = await org.member(full_name="Quick Fingers")
    history = [
        event(m, "lead.captured") | at(days_ago=day + 1.5)
        for m in [*steady, cheat]
        for day in range(10)
        for _ in range(2)
    ]
    today = [event(m, "lead.captured") | at(days_ago=0.2) for m in steady for _ in range(3)]
    today += [event(cheat, "lead.captured") | at(days_ago=0.1) for _ in range(burst)]
    for events in (history[:100], history[100:], today):
        await send(org, key, events)
    return cheat


async def test_a_member_whose_event_rate_jumps_is_flagged_and_steady_ones_are_not(
    org: Org,
) -> None:
    cheat = await quick_fingers(org, 40)
    result = (await ran(org, org.admin.headers, "manipulation_flags", least=10))["result"]
    (flag,) = result["flags"]
    assert flag["user_id"] == str(cheat.id)
    assert flag["last_day"] == 41  # the 40 leads, and the sign-in that made the member
    assert flag["usual"] == 2 and flag["peers"] >= 2
    assert flag["text"].startswith("Quick Fingers sent 41 events in the last 24 hours")
    member = await org.member()
    assert (await run(org, member.headers, "manipulation_flags")).status_code == 403


async def test_an_admin_confirms_or_dismisses_unusual_activity(org: Org, other_org: Org) -> None:
    cheat = await quick_fingers(org, 40)
    (flag,) = (await ran(org, org.admin.headers, "manipulation_flags", least=10))["result"]["flags"]
    assert flag["status"] == "open" and flag["user_id"] == str(cheat.id)
    decide = f"{AGENTS}/activity-flags/{flag['id']}"
    member = await org.member()
    assert (await org.client.post(f"{decide}/confirm", headers=member.headers)).status_code == 403
    stranger = await other_org.client.post(f"{decide}/confirm", headers=other_org.admin.headers)
    assert stranger.status_code == 404  # another tenant's flag does not exist for them
    confirmed = await org.client.post(f"{decide}/confirm", headers=org.admin.headers)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = (await ran(org, org.admin.headers, "manipulation_flags", least=10))["result"]
    assert [(f["id"], f["status"]) for f in again["flags"]] == [(flag["id"], "confirmed")]
    twice = await org.client.post(f"{decide}/dismiss", headers=org.admin.headers)
    assert twice.status_code == 409


async def test_dismissed_unusual_activity_is_not_reported_again_that_day(org: Org) -> None:
    await quick_fingers(org, 40)
    (flag,) = (await ran(org, org.admin.headers, "manipulation_flags", least=10))["result"]["flags"]
    dismissed = await org.client.post(
        f"{AGENTS}/activity-flags/{flag['id']}/dismiss", headers=org.admin.headers
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    later = (await ran(org, org.admin.headers, "manipulation_flags", least=10))["result"]
    assert later["flags"] == []


async def test_competitive_insights_tell_a_member_how_far_the_next_place_is(org: Org) -> None:
    key = await org.api_key()
    board = await make_board(org)
    leader, second, third = [
        await org.member(full_name=name) for name in ("Lea Leader", "Sam Second", "Tom Third")
    ]
    outsider = await org.member()
    await send(
        org,
        key,
        [
            event(leader, "order.completed", total=100),
            event(second, "order.completed", total=80),
            event(third, "order.completed", total=50),
        ],
    )
    url = f"/api/v1/gamification/leaderboards/{board['id']}/insights"
    mine = (await org.client.get(url, headers=third.headers)).json()
    assert (mine["rank"], mine["score"], mine["participants"]) == (3, 50, 3)
    assert mine["ahead"] == {"rank": 2, "name": "Sam Second", "points": 30}
    assert mine["lines"] == ["30 points behind #2 (Sam Second)."]
    await send(org, key, [event(third, "order.completed", total=30)])  # now level
    level = (await org.client.get(url, headers=third.headers)).json()
    assert level["lines"] == ["Level with #2 (Sam Second), who got there first."]
    top = (await org.client.get(url, headers=leader.headers)).json()
    assert top["lines"] == ["You lead this board."] and top["ahead"] is None
    nobody = (await org.client.get(url, headers=outsider.headers)).json()
    assert nobody["rank"] is None and nobody["lines"][0].startswith("No score on this board yet")
    snooping = await org.client.get(url, params={"user_id": str(third.id)}, headers=leader.headers)
    assert snooping.status_code == 403
    task = await ran(
        org,
        org.admin.headers,
        "competitive_insights",
        leaderboard_id=board["id"],
        user_id=third.id,
    )
    assert task["agent"] == "LeaderboardAgent" and task["result"]["insights"] == level


async def test_a_published_showcase_gets_markup_keywords_and_a_post_per_network(
    org: Org,
) -> None:
    drafted = (await ran(org, org.admin.headers, "generate_showcase"))["result"]["portfolio"]
    too_soon = await run(org, org.admin.headers, "share_showcase", portfolio_id=drafted["id"])
    assert too_soon.status_code == 409 and "Publish the showcase first" in too_soon.text
    published = await org.client.post(
        f"/api/v1/gamification/portfolios/{drafted['id']}/publish", headers=org.admin.headers
    )
    assert published.status_code == 200, published.text
    url = published.json()["public_url"]
    shared = await ran(org, org.admin.headers, "share_showcase", portfolio_id=drafted["id"])
    result = shared["result"]
    assert result["url"] == url and shared["agent"] == "ShowcasePortfolioAgent"
    assert result["json_ld"]["@type"] == "Article" and result["json_ld"]["url"] == url
    assert "case study" in result["keywords"]
    posts = {p["network"]: p for p in result["posts"]}
    assert set(posts) == {"x", "linkedin", "facebook", "instagram"}
    assert all(len(p["text"]) <= p["limit"] for p in posts.values())
    assert posts["x"]["text"].endswith(url) and posts["linkedin"]["text"].endswith(url)
    assert url not in posts["instagram"]["text"] and "link in bio" in posts["instagram"]["text"]
    member = await org.member()
    refused = await run(org, member.headers, "share_showcase", portfolio_id=drafted["id"])
    assert refused.status_code == 403


async def test_posts_promote_an_achievement_or_a_program_within_each_limit(org: Org) -> None:
    program = await org.client.post(
        "/api/v1/gamification/referrals/programs",
        json={
            "name": "Bring a baker",
            "platform": "bizoholic",
            "status": "active",
            "referrer_reward": {"amount": "50", "unit": "points"},
            "referee_reward": {"amount": "10", "unit": "credit"},
        },
        headers=org.admin.headers,
    )
    assert program.status_code == 201, program.text
    promoted = await ran(org, org.admin.headers, "promote_posts", program_id=program.json()["id"])
    assert promoted["agent"] == "ShowcasePortfolioAgent"
    posts = {p["network"]: p["text"] for p in promoted["result"]["posts"]}
    assert promoted["result"]["url"].endswith("/portal/referrals")
    assert "Bring a baker" in posts["x"] and "10 credit" in posts["x"]
    assert len(posts["x"]) <= 280 and posts["x"].endswith(promoted["result"]["url"])
    achievements = await org.client.get(
        "/api/v1/gamification/achievements/definitions", headers=org.admin.headers
    )
    first = achievements.json()[0]
    earned = await ran(org, org.admin.headers, "promote_posts", achievement_id=first["id"])
    assert f"“{first['name']}”" in earned["result"]["posts"][0]["text"]
    for payload in ({}, {"achievement_id": first["id"], "program_id": program.json()["id"]}):
        assert (await run(org, org.admin.headers, "promote_posts", **payload)).status_code == 422
    member = await org.member()
    refused = await run(org, member.headers, "promote_posts", achievement_id=first["id"])
    assert refused.status_code == 403


async def test_an_achievement_is_drafted_from_a_plain_request_and_never_saved_unasked(
    org: Org,
) -> None:
    before = await org.client.get(
        "/api/v1/gamification/achievements/definitions", headers=org.admin.headers
    )
    task = await ran(
        org,
        org.admin.headers,
        "draft_achievement",
        request="Reward members who refer three friends in a month",
    )
    result = task["result"]
    assert result["understood"] and task["agent"] == "AchievementSystemAgent"
    trigger = result["proposal"]["trigger"]
    assert (trigger["event_type"], trigger["aggregation"], trigger["window_days"]) == (
        "referral.converted",
        "count",
        30,
    )
    assert [level["threshold"] for level in result["proposal"]["levels"]] == ["3"]
    assert result["preview"]["qualifying"] == 0 and result["refused"] is None
    after = await org.client.get(
        "/api/v1/gamification/achievements/definitions", headers=org.admin.headers
    )
    assert after.json() == before.json()  # proposed, not saved
    vague = (await ran(org, org.admin.headers, "draft_achievement", request="be nice"))["result"]
    assert not vague["understood"] and vague["proposal"] is None
    assert "refer three friends in a month" in vague["explanation"]
    member = await org.member()
    refused = await run(org, member.headers, "draft_achievement", request="10 orders")
    assert refused.status_code == 403

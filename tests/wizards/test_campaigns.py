"""The campaign builder through the API: each type launched with its dates in the tenant's
timezone and its audience, its results read against its goal, a change of type asking
the type's own questions again, and a schedule that cannot run refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.gamification.factories import Org, event

W = "/api/v1/wizards"
G = "/api/v1/gamification"
ZONE = "America/New_York"


def local(delta: timedelta) -> str:
    """A local date and time in the tenant's zone, as the schedule step takes it."""
    return (datetime.now(ZoneInfo(ZONE)) + delta).replace(tzinfo=None).isoformat(timespec="minutes")


async def run(org: Org, answers: dict[str, dict[str, Any]]) -> tuple[str, Any]:
    tz = await org.client.patch(f"{G}/settings", json={"timezone": ZONE}, headers=org.admin.headers)
    assert tz.status_code == 200, tz.text
    started = await org.client.post(f"{W}/campaign/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    for step, answer in answers.items():
        saved = await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )
        assert saved.status_code == 200, (step, saved.text)
    finished = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    return draft, finished


def schedule(start: timedelta, end: timedelta) -> dict[str, str]:
    return {"starts_at": local(start), "ends_at": local(end)}


async def result(org: Org, goal: dict[str, Any]) -> int:
    found = await org.client.get(
        f"{G}/analytics/results/{goal['kind']}/{goal['id']}", headers=org.admin.headers
    )
    assert found.status_code == 200, found.text
    return int(found.json()["count"])


async def test_a_contest_for_one_tier_counts_its_members_against_the_goal(org: Org) -> None:
    gold, silver = await org.member(), await org.member()
    _, finished = await run(
        org,
        {
            "goal": {"name": "Spring sales sprint", "kind": "leaderboard_contest", "goal": 10},
            "audience": {"platform": "coreldove", "members": "tiers", "tiers": ["gold"]},
            "rules": {"event_type": "order.completed", "property": "total", "prize": "A hamper"},
            "schedule": schedule(timedelta(hours=-1), timedelta(days=7)),
        },
    )
    assert finished.status_code == 200, finished.text
    outcome = finished.json()["outcome"]
    goal = outcome["goal"]
    assert (goal["kind"], goal["target"], goal["unit"]) == (
        "leaderboard",
        10,
        "members taking part",
    )
    board = (
        await org.client.get(f"{G}/leaderboards/{goal['id']}", headers=org.admin.headers)
    ).json()
    assert board["name"] == "Spring sales sprint" and board["description"] == "A hamper"
    starts = datetime.fromisoformat(board["starts_at"])
    assert starts.utcoffset() is not None
    expected = datetime.fromisoformat(local(timedelta(hours=-1))).replace(tzinfo=ZoneInfo(ZONE))
    assert abs((starts - expected).total_seconds()) < 120
    assert board["filters"] == [{"property": "tier", "op": "in", "value": ["gold"]}]
    assert await result(org, goal) == 0

    key = await org.api_key()
    sent = await org.send(
        [
            event(gold, "order.completed", total=40, tier="gold"),
            event(silver, "order.completed", total=90, tier="silver"),
        ],
        key,
    )
    assert sent.status_code == 202
    await org.settle()
    assert await result(org, goal) == 1


async def test_a_referral_drive_and_a_challenge_are_made_with_their_dates(org: Org) -> None:
    _, drive = await run(
        org,
        {
            "goal": {"name": "Bring a friend week", "kind": "referral_drive", "goal": 50},
            "audience": {"platform": "bizoholic"},
            "rules": {"referrer_points": 70, "friend_points": 0, "qualifying_event": "signup"},
            "schedule": schedule(timedelta(days=1), timedelta(days=8)),
        },
    )
    assert drive.status_code == 200, drive.text
    program_id = drive.json()["outcome"]["goal"]["id"]
    program = (
        await org.client.get(f"{G}/referrals/programs/{program_id}", headers=org.admin.headers)
    ).json()
    assert program["referee_reward"] is None and float(program["referrer_reward"]["amount"]) == 70
    assert program["starts_at"] is not None and program["ends_at"] is not None
    assert await result(org, drive.json()["outcome"]["goal"]) == 0

    _, challenge = await run(
        org,
        {
            "goal": {"name": "Five posts", "kind": "achievement_challenge", "goal": 30},
            "audience": {"platform": "bizoholic", "members": "everyone"},
            "rules": {"event_type": "content.published", "times": 5, "points": 40},
            "schedule": schedule(timedelta(hours=-2), timedelta(days=3)),
        },
    )
    assert challenge.status_code == 200, challenge.text
    achievement_id = challenge.json()["outcome"]["goal"]["id"]
    made = (
        await org.client.get(
            f"{G}/achievements/definitions/{achievement_id}", headers=org.admin.headers
        )
    ).json()
    assert made["name"] == "Five posts" and made["ends_at"] is not None
    assert made["trigger"]["event_type"] == "content.published"


async def test_changing_the_type_asks_its_own_questions_again(org: Org) -> None:
    started = await org.client.post(f"{W}/campaign/drafts", headers=org.admin.headers)
    draft = started.json()["id"]

    async def put(step: str, answer: dict[str, Any]) -> Any:
        return await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )

    await put("goal", {"name": "X", "kind": "leaderboard_contest", "goal": 5})
    await put("audience", {"platform": "coreldove", "members": "tiers", "tiers": ["gold"]})
    assert (await put("rules", {"event_type": "order.completed"})).status_code == 200
    changed = (await put("goal", {"name": "X", "kind": "referral_drive", "goal": 5})).json()
    assert set(changed["answers"]) == {"goal"} and changed["next_step"] == "audience"
    rules = next(s for s in changed["steps"] if s["key"] == "rules")
    assert "referrer_points" in rules["json_schema"]["properties"]  # a drive's own rules
    nobody = await put("audience", {"platform": "coreldove", "members": "everyone", "tiers": []})
    assert nobody.status_code == 422  # a referral drive has no tiers to choose
    tierless = await put("goal", {"name": "X", "kind": "leaderboard_contest", "goal": 5})
    assert tierless.status_code == 200
    empty = await put("audience", {"platform": "coreldove", "members": "tiers", "tiers": [" "]})
    assert empty.status_code == 422
    assert "Name at least one tier" in empty.json()["detail"][0]["msg"]


async def test_a_schedule_that_cannot_run_is_refused(org: Org) -> None:
    draft, over = await run(
        org,
        {
            "goal": {"name": "Too late", "kind": "leaderboard_contest", "goal": 5},
            "audience": {"platform": "coreldove"},
            "rules": {"event_type": "order.completed"},
            "schedule": schedule(timedelta(days=-3), timedelta(days=-2)),
        },
    )
    assert over.status_code == 409 and "already be over" in over.json()["detail"]
    reversed_ = await org.client.put(
        f"{W}/drafts/{draft}/steps/schedule",
        json=schedule(timedelta(days=2), timedelta(days=1)),
        headers=org.admin.headers,
    )
    assert reversed_.status_code == 422
    assert "end after it starts" in reversed_.json()["detail"][0]["msg"]
    boards = await org.client.get(f"{G}/leaderboards", headers=org.admin.headers)
    assert [b for b in boards.json() if b["name"] == "Too late"] == []

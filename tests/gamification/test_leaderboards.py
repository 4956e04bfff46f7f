"""Leaderboards: definitions, scores from events, exact ranks, periods, privacy, platform boards.

Everything runs on the real service: events go in through the API, the background
processor scores them, ranks come from Redis and the record from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from bizosaas.core.database import RowScope, utcnow
from bizosaas.gamification.events.pipeline import Batch, PointsAwarded
from bizosaas.gamification.events.rebuild import replay_tenant
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.scheduler import LeaderboardScheduler
from bizosaas.gamification.locks import lock_tenant
from bizosaas.identity.vocabulary import Role
from tests.factories import bearer, client_for, create_user, login
from tests.gamification.factories import Member, Org, event

BASE = "/api/v1/gamification/leaderboards"


class Clock:
    """The leaderboards' notion of now, moved by a test (events keep their own times)."""

    def __init__(self, live: LiveRanks) -> None:
        self.live = live
        self.now: datetime | None = None

    def set(self, moment: datetime) -> None:
        self.now = moment
        self.live.clock = lambda: self.now or utcnow()

    def restore(self) -> None:
        self.now = None
        self.live.clock = utcnow


@pytest.fixture
def clock(gamification_app: FastAPI) -> Iterator[Clock]:
    controlled = Clock(live_of(gamification_app))
    try:
        yield controlled
    finally:
        controlled.restore()


def live_of(app: FastAPI) -> LiveRanks:
    return app.state.services.live


async def make_board(org: Org, **overrides: Any) -> dict[str, Any]:
    body = {
        "key": f"b-{uuid.uuid4().hex[:8]}",
        "name": "Sales",
        "metric": "event",
        "event_type": "order.completed",
        "property": "total",
        **overrides,
    }
    response = await org.client.post(BASE, json=body, headers=org.admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sale(member: Member, total: float, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    item = event(member, "order.completed", total=total, **extra)
    if at is not None:
        item["occurred_at"] = at.isoformat()
    return item


async def score(org: Org, events: list[dict[str, Any]]) -> None:
    key = await org.api_key()
    response = await org.send(events, key)
    assert response.status_code == 202, response.text
    await org.settle()


async def get(org: Org, viewer: Member, path: str, **params: Any) -> Any:
    response = await org.client.get(f"{BASE}/{path}", params=params, headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def names(page: dict[str, Any]) -> list[str]:
    return [e["user_id"] for e in page["entries"]]


async def pg_order(org: Org, board_id: str) -> list[str]:
    """The ranking straight from PostgreSQL, ties broken as documented."""
    database = org.app.state.runtime.database
    async with database.transaction(RowScope.tenant(org.id)) as db:
        rows = await db.execute(
            text(
                "SELECT e.member_id FROM leaderboard_entries e JOIN leaderboards b "
                "ON b.id = e.leaderboard_id AND e.period_start = b.period_start "
                "WHERE b.id = :b ORDER BY e.score DESC, e.reached_at, e.member_id DESC"
            ),
            {"b": board_id},
        )
        return [str(r[0]) for r in rows]


# -- definitions -------------------------------------------------------------------------


async def test_bad_definitions_get_a_clear_4xx_and_store_nothing(org: Org) -> None:
    good = {"key": "sales", "name": "Sales", "metric": "event", "event_type": "order.completed"}
    cases = [
        {**good, "property": "total", "period": "cron", "cron": "61 * * * *"},
        {**good, "property": "total", "period": "cron", "cron": "0 0 * * * *"},
        {**good, "property": "total", "period": "cron"},
        {**good, "property": "total", "timezone": "Mars/Olympus_Mons"},
        {**good, "operator": "sum"},  # which property?
        {**good, "property": "total", "max_change_per_event": -5},
        {**good, "property": "total", "max_change_per_period": 0},
        {**good, "property": "total", "period": "daily", "cron": "0 0 * * *"},
        {**good, "property": "total", "filters": [{"property": "x", "op": "in", "value": 3}]},
        {**good, "property": "total", "filters": [{"property": "x", "op": "gt", "value": "a"}]},
        {"key": "refs", "name": "Referrers", "metric": "referrals", "operator": "max"},
        {**good, "key": "Not A Key", "property": "total"},
    ]
    for body in cases:
        response = await org.client.post(BASE, json=body, headers=org.admin.headers)
        assert response.status_code == 422, (body, response.text)
        assert "Traceback" not in response.text
    listed = await org.client.get(BASE, headers=org.admin.headers, params={"status": "all"})
    assert listed.json() == []
    created = await make_board(org, key="sales", period="cron", cron="0 9 * * 1")
    assert created["timezone"] == "UTC" and created["operator"] == "sum"
    again = await org.client.post(
        BASE, json={**good, "property": "total"}, headers=org.admin.headers
    )
    assert again.status_code == 409


async def test_only_admins_define_boards_and_members_need_gamification(org: Org) -> None:
    member = await org.member()
    board = await make_board(org)
    refused = await org.client.post(
        BASE, json={"key": "x", "name": "X", "metric": "referrals"}, headers=member.headers
    )
    assert refused.status_code == 403
    patched = await org.client.patch(
        f"{BASE}/{board['id']}", json={"name": "Mine"}, headers=member.headers
    )
    assert patched.status_code == 403
    outsider = await org.member(permissions=[])
    for path in ("", f"/{board['id']}", f"/{board['id']}/entries", f"/{board['id']}/me"):
        response = await org.client.get(BASE + path, headers=outsider.headers)
        assert response.status_code == 403, path


async def test_another_tenants_board_is_not_found(org: Org, other_org: Org) -> None:
    theirs = await make_board(other_org)
    mine = await org.member()
    for path in ("", "/entries", "/me", "/periods", f"/around/{mine.id}"):
        response = await org.client.get(f"{BASE}/{theirs['id']}{path}", headers=mine.headers)
        assert response.status_code == 404, path
    archive = await org.client.delete(f"{BASE}/{theirs['id']}", headers=org.admin.headers)
    assert archive.status_code == 404


async def test_list_shows_each_board_with_its_period_and_next_reset(org: Org) -> None:
    await make_board(org, key="weekly", period="weekly", timezone="Europe/Paris")
    await make_board(org, key="ever")
    archived = await make_board(org, key="old")
    await org.client.delete(f"{BASE}/{archived['id']}", headers=org.admin.headers)
    member = await org.member()
    boards = (await org.client.get(BASE, headers=member.headers)).json()
    assert [b["key"] for b in boards] == ["weekly", "ever"]
    weekly, ever = boards
    start = datetime.fromisoformat(weekly["period_start"])
    assert (
        start.astimezone(UTC) <= datetime.now(UTC) < datetime.fromisoformat(weekly["next_reset_at"])
    )
    assert ever["next_reset_at"] is None


# -- scores and ranks --------------------------------------------------------------------


async def test_scores_aggregate_by_operator_and_filters(org: Org) -> None:
    a, b = await org.member(), await org.member()
    sums = await make_board(org, operator="sum")
    maxes = await make_board(org, operator="max")
    latest = await make_board(org, operator="latest")
    web = await make_board(
        org,
        operator="count",
        property=None,
        filters=[{"property": "channel", "op": "eq", "value": "web"}],
    )
    referrals = await make_board(org, metric="referrals", event_type=None, property=None)
    t = datetime.now(UTC) - timedelta(hours=1)
    await score(
        org,
        [
            sale(a, 10, t, channel="web"),
            sale(a, 30, t + timedelta(minutes=2), channel="shop"),
            sale(a, 5, t + timedelta(minutes=1), channel="web"),  # arrives late: not the latest
            sale(b, 7, t, channel="web"),
            event(b, "referral.converted"),
            event(b, "referral.converted"),
            event(a, "order.refunded", total=1000),  # another type: counts nowhere
        ],
    )
    expected = {
        sums["id"]: (45, 7),
        maxes["id"]: (30, 7),
        latest["id"]: (30, 7),
        web["id"]: (2, 1),
        referrals["id"]: (None, 2),
    }
    for board_id, (score_a, score_b) in expected.items():
        assert (await get(org, a, f"{board_id}/me"))["score"] == score_a, board_id
        assert (await get(org, b, f"{board_id}/me"))["score"] == score_b, board_id


async def test_a_contest_counts_only_what_happens_inside_its_window(org: Org) -> None:
    a, b = await org.member(), await org.member()
    now = datetime.now(UTC)
    contest = await make_board(
        org,
        starts_at=(now - timedelta(hours=3)).isoformat(),
        ends_at=(now - timedelta(hours=1)).isoformat(),
    )
    await score(
        org,
        [
            sale(a, 100, now - timedelta(hours=4)),  # before it started
            sale(a, 20, now - timedelta(hours=2)),
            sale(b, 30, now - timedelta(minutes=90)),
            sale(b, 500, now - timedelta(minutes=30)),  # after it ended
        ],
    )
    assert (await get(org, a, f"{contest['id']}/me"))["score"] == 20
    assert (await get(org, b, f"{contest['id']}/me"))["score"] == 30
    assert contest["ends_at"] is not None
    backwards = await org.client.post(
        BASE,
        json={
            "key": "backwards",
            "name": "Backwards",
            "metric": "points",
            "starts_at": now.isoformat(),
            "ends_at": (now - timedelta(days=1)).isoformat(),
        },
        headers=org.admin.headers,
    )
    assert backwards.status_code == 422


async def test_ties_go_to_whoever_got_there_first(org: Org) -> None:
    a, b, c = await org.member(), await org.member(), await org.member()
    board = await make_board(org)
    slow = await make_board(org, key="slowest", operator="latest", sort_order="asc")
    t = datetime.now(UTC) - timedelta(hours=1)
    # b reached 10 a minute before a did, though b's event is sent (and processed) later.
    await score(org, [sale(a, 10, t + timedelta(minutes=1)), sale(c, 12, t)])
    await score(org, [sale(b, 4, t - timedelta(minutes=5)), sale(b, 6, t)])
    page = await get(org, a, f"{board['id']}/entries")
    assert names(page) == [str(c.id), str(b.id), str(a.id)]
    assert [e["rank"] for e in page["entries"]] == [1, 2, 3]
    assert names(page) == await pg_order(org, board["id"])
    # Ascending: the lowest first; equal values again by who got there first.
    lows = await get(org, a, f"{slow['id']}/entries")
    assert names(lows) == [str(b.id), str(a.id), str(c.id)]
    assert [e["score"] for e in lows["entries"]] == [6, 10, 12]


async def test_top_n_pages_with_a_cursor(org: Org) -> None:
    members = [await org.member() for _ in range(12)]
    board = await make_board(org)
    t = datetime.now(UTC) - timedelta(hours=1)
    await score(org, [sale(m, 100 - i, t) for i, m in enumerate(members)])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = await get(org, members[0], f"{board['id']}/entries", **params)
        seen += names(page)
        pages += 1
        assert page["participants"] == 12
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [str(m.id) for m in members]
    bad = await org.client.get(
        f"{BASE}/{board['id']}/entries", params={"cursor": "nonsense"}, headers=members[0].headers
    )
    assert bad.status_code == 400


async def test_rank_score_and_the_members_around(org: Org) -> None:
    members = [await org.member() for _ in range(7)]
    board = await make_board(org)
    t = datetime.now(UTC) - timedelta(hours=1)
    await score(org, [sale(m, 70 - 10 * i, t) for i, m in enumerate(members)])
    mine = await get(org, members[3], f"{board['id']}/me")
    assert (mine["rank"], mine["score"], mine["participants"]) == (4, 40, 7)
    around = await get(org, members[0], f"{board['id']}/around/{members[3].id}", k=2)
    assert around["rank"] == 4
    assert names(around) == [str(m.id) for m in members[1:6]]
    top = await get(org, members[0], f"{board['id']}/around/{members[0].id}", k=2)
    assert names(top) == [str(m.id) for m in members[0:3]]
    newcomer = await org.member()
    nobody = await get(org, newcomer, f"{board['id']}/me")
    assert nobody["rank"] is None and nobody["score"] is None


# -- limits ------------------------------------------------------------------------------


async def test_a_change_over_the_per_event_limit_is_refused_at_ingest(org: Org) -> None:
    member = await org.member()
    board = await make_board(org, key="capped", max_change_per_event=100)
    levels = await make_board(
        org,
        key="levels",
        event_type="level.reached",
        property="level",
        operator="max",
        max_change_per_event=5,
    )
    key = await org.api_key()
    over = sale(member, 500)
    response = await org.send([sale(member, 20), over], key)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert over["event_id"] in detail and "capped" in detail
    log = await org.client.get(
        "/api/v1/gamification/events", params={"type": "order.completed"}, headers=org.admin.headers
    )
    assert log.json()["events"] == []  # nothing of the batch was stored
    # For a maximum, the change is measured from the member's current score.
    assert (await org.send([event(member, "level.reached", level=4)], key)).status_code == 202
    await org.settle()
    ok = await org.send([event(member, "level.reached", level=9)], key)
    assert ok.status_code == 202, ok.text
    jump = await org.send([event(member, "level.reached", level=30)], key)
    assert jump.status_code == 400 and "levels" in jump.json()["detail"]
    await org.settle()
    assert (await get(org, member, f"{levels['id']}/me"))["score"] == 9
    assert (await get(org, member, f"{board['id']}/me"))["score"] is None


async def test_a_change_over_the_per_period_limit_is_rejected_and_logged(org: Org) -> None:
    a, b = await org.member(), await org.member()
    board = await make_board(org, max_change_per_period=100)
    first, second = sale(a, 60), sale(a, 60)
    await score(org, [first, second, sale(b, 90)])  # the rest of the batch still counts
    assert (await get(org, a, f"{board['id']}/me"))["score"] == 60
    assert (await get(org, b, f"{board['id']}/me"))["score"] == 90
    log = await get(org, org.admin, f"{board['id']}/rejections")
    assert [r["event_id"] for r in log["rejections"]] == [second["event_id"]]
    assert log["rejections"][0]["member_id"] == str(a.id)
    assert "per period" in log["rejections"][0]["reason"]
    member_view = await org.client.get(f"{BASE}/{board['id']}/rejections", headers=a.headers)
    assert member_view.status_code == 403
    # The log pages newest first, with the same opaque cursors as every other list.
    more = [sale(a, 60) for _ in range(3)]
    await score(org, more)
    first_page = await get(org, org.admin, f"{board['id']}/rejections", limit=2)
    rest = await get(
        org, org.admin, f"{board['id']}/rejections", limit=2, cursor=first_page["next_cursor"]
    )
    paged = [r["event_id"] for r in first_page["rejections"] + rest["rejections"]]
    assert paged == [e["event_id"] for e in reversed([second, *more])]
    assert rest["next_cursor"] is None


# -- periods -----------------------------------------------------------------------------


async def test_a_period_reset_archives_then_clears(org: Org, clock: Clock) -> None:
    a, b = await org.member(), await org.member()
    now = datetime.now(UTC)
    clock.set(now - timedelta(days=2))  # the board was created two days ago
    board = await make_board(org, period="daily")
    old_start = board["period_start"]
    then = now - timedelta(days=2)
    await score(org, [sale(a, 10, then), sale(b, 20, then)])
    assert names(await get(org, a, f"{board['id']}/entries")) == [str(b.id), str(a.id)]
    old_slot = live_of(org.app).ranks.slot(
        uuid.UUID(board["id"]), datetime.fromisoformat(old_start)
    )
    redis = org.app.state.runtime.redis
    assert await redis.exists(old_slot.z)

    clock.restore()  # two days later: reading the board rolls it over
    page = await get(org, a, f"{board['id']}/entries")
    assert page["entries"] == [] and page["participants"] == 0
    assert datetime.fromisoformat(page["period_start"]) > datetime.fromisoformat(old_start)
    assert not await redis.exists(old_slot.z)  # the old period's live ranks are gone
    periods = await get(org, a, f"{board['id']}/periods")
    assert [(p["period_start"], p["participants"]) for p in periods["periods"]] == [(old_start, 2)]
    final = await get(org, a, f"{board['id']}/periods/{old_start}")
    assert [(e["rank"], e["user_id"], e["score"]) for e in final["entries"]] == [
        (1, str(b.id), 20),
        (2, str(a.id), 10),
    ]
    top = await get(org, a, f"{board['id']}/periods/{old_start}", limit=1)
    after = await get(
        org, a, f"{board['id']}/periods/{old_start}", limit=1, cursor=top["next_cursor"]
    )
    assert names(top) + names(after) == [str(b.id), str(a.id)] and after["next_cursor"] is None
    # A late event for the archived period is not counted, and is logged; a new one counts.
    late = sale(a, 99, then)
    await score(org, [late, sale(a, 5)])
    assert (await get(org, a, f"{board['id']}/me"))["score"] == 5
    final = await get(org, a, f"{board['id']}/periods/{old_start}")
    assert [e["score"] for e in final["entries"]] == [20, 10]
    log = await get(org, org.admin, f"{board['id']}/rejections")
    assert [r["event_id"] for r in log["rejections"]] == [late["event_id"]]
    missing = await org.client.get(
        f"{BASE}/{board['id']}/periods/2001-01-01T00:00:00Z", headers=a.headers
    )
    assert missing.status_code == 404


async def test_the_scheduler_resets_boards_nobody_touches(org: Org, clock: Clock) -> None:
    member = await org.member()
    now = datetime.now(UTC)
    clock.set(now - timedelta(hours=2))
    board = await make_board(org, period="cron", cron="0 * * * *")  # every hour
    await score(org, [sale(member, 3, now - timedelta(hours=2))])
    clock.restore()
    scheduler = LeaderboardScheduler(live_of(org.app))
    assert await scheduler.tick() >= 1
    fresh = (await org.client.get(f"{BASE}/{board['id']}", headers=member.headers)).json()
    start = datetime.fromisoformat(fresh["period_start"])
    assert start <= now < datetime.fromisoformat(fresh["next_reset_at"])
    assert datetime.fromisoformat(fresh["next_reset_at"]) - start == timedelta(hours=1)
    periods = await get(org, member, f"{board['id']}/periods")
    assert [p["participants"] for p in periods["periods"]] == [1]


# -- privacy and visibility --------------------------------------------------------------


async def test_hidden_members_are_skipped_but_see_their_own_rank(org: Org) -> None:
    a, b, c = await org.member(), await org.member(), await org.member()
    board = await make_board(org)
    t = datetime.now(UTC) - timedelta(hours=1)
    await score(org, [sale(a, 30, t), sale(b, 20, t), sale(c, 10, t)])
    hide = await org.client.put(
        f"{BASE}/{board['id']}/privacy", json={"hidden": True}, headers=a.headers
    )
    assert hide.status_code == 200 and hide.json()["hidden"] is True
    alias = await org.client.put(
        f"{BASE}/{board['id']}/privacy", json={"alias": "Speedy"}, headers=c.headers
    )
    assert alias.json()["alias"] == "Speedy"
    seen_by_b = await get(org, b, f"{board['id']}/entries")
    assert names(seen_by_b) == [str(b.id), str(c.id)]
    assert [e["rank"] for e in seen_by_b["entries"]] == [2, 3]  # ranks count everyone
    assert seen_by_b["entries"][1]["name"] == "Speedy"
    seen_by_a = await get(org, a, f"{board['id']}/entries")
    assert names(seen_by_a)[0] == str(a.id)  # a still sees itself
    mine = await get(org, a, f"{board['id']}/me")
    assert (mine["rank"], mine["hidden"]) == (1, True)
    hidden_target = await org.client.get(f"{BASE}/{board['id']}/around/{a.id}", headers=b.headers)
    assert hidden_target.status_code == 404
    # Hiding from every board at once (the member's own privacy setting).
    everywhere = await org.client.patch(
        "/api/v1/gamification/members/me/privacy", json={"hidden": True}, headers=b.headers
    )
    assert everywhere.status_code == 200
    assert names(await get(org, c, f"{board['id']}/entries")) == [str(c.id)]


async def test_public_boards_are_readable_without_login_unless_members_only(org: Org) -> None:
    member = await org.member()
    public = await make_board(org, key="public-sales", visibility="public")
    private = await make_board(org, key="team-sales")
    await score(org, [sale(member, 42)])
    anonymous = client_for(org.app)
    url = f"/api/v1/gamification/public/leaderboards/{org.id}"
    async with anonymous:
        assert (await anonymous.get(f"{url}/public-sales")).status_code == 404  # members-only
        settings = await org.client.patch(
            "/api/v1/gamification/settings",
            json={"boards_members_only": False},
            headers=org.admin.headers,
        )
        assert settings.status_code == 200
        shown = await anonymous.get(f"{url}/public-sales")
        assert shown.status_code == 200, shown.text
        assert [(e["rank"], e["score"]) for e in shown.json()["entries"]] == [(1, 42)]
        assert str(member.id) not in shown.text
        assert (await anonymous.get(f"{url}/team-sales")).status_code == 404
        assert (await anonymous.get(f"{BASE}/{public['id']}/entries")).status_code == 401
    assert private["visibility"] == "members"


# -- erasure, rebuilds, replays ----------------------------------------------------------


async def test_erasing_a_member_removes_it_from_every_board_and_the_cache(org: Org) -> None:
    a, b = await org.member(), await org.member()
    board = await make_board(org)
    other = await make_board(org, operator="count", property=None)
    await score(org, [sale(a, 10), sale(b, 5)])
    erased = await org.client.delete(
        f"/api/v1/gamification/members/{a.id}", headers=org.admin.headers
    )
    assert erased.status_code == 204
    for each in (board, other):
        page = await get(org, b, f"{each['id']}/entries")
        assert names(page) == [str(b.id)] and page["participants"] == 1
        assert await pg_order(org, each["id"]) == [str(b.id)]
        slot = live_of(org.app).ranks.slot(
            uuid.UUID(each["id"]), datetime.fromisoformat(page["period_start"])
        )
        assert await org.app.state.runtime.redis.hget(slot.h, str(a.id)) is None


async def test_when_redis_loses_the_ranks_they_are_rebuilt_from_postgres(org: Org) -> None:
    members = [await org.member() for _ in range(6)]
    board = await make_board(org)
    t = datetime.now(UTC) - timedelta(hours=1)
    await score(
        org, [sale(m, (i % 3) * 10, t + timedelta(seconds=i)) for i, m in enumerate(members)]
    )
    before = names(await get(org, members[0], f"{board['id']}/entries"))
    assert before == await pg_order(org, board["id"])
    redis = org.app.state.runtime.redis
    group = org.app.state.runtime.keys.group("lb", board["id"])  # "…:{lb:<board>}"
    keys = [k async for k in redis.scan_iter(match=group.removesuffix("}") + ":*")]
    assert keys
    await redis.delete(*keys)  # Redis restarted empty
    assert names(await get(org, members[0], f"{board['id']}/entries")) == before
    assert (await get(org, members[5], f"{board['id']}/me"))["rank"] == before.index(
        str(members[5].id)
    ) + 1
    rebuilt = await org.client.post(f"{BASE}/{board['id']}/rebuild", headers=org.admin.headers)
    assert rebuilt.status_code == 200 and rebuilt.json()["members"] == 6
    assert names(await get(org, members[0], f"{board['id']}/entries")) == before
    refused = await org.client.post(f"{BASE}/{board['id']}/rebuild", headers=members[0].headers)
    assert refused.status_code == 403


async def test_a_replay_rebuilds_the_same_boards(org: Org, clock: Clock) -> None:
    a, b = await org.member(), await org.member()
    now = datetime.now(UTC)
    clock.set(now - timedelta(days=1))
    daily = await make_board(org, period="daily")
    ever = await make_board(org, key="ever", operator="max")
    then = now - timedelta(days=1)
    await score(org, [sale(a, 10, then), sale(b, 20, then)])
    clock.restore()
    await score(org, [sale(a, 7), sale(b, 3), sale(a, 1)])
    before = {
        "daily": names(await get(org, a, f"{daily['id']}/entries")),
        "ever": names(await get(org, a, f"{ever['id']}/entries")),
        "periods": await get(org, a, f"{daily['id']}/periods"),
    }
    old = before["periods"]["periods"][0]["period_start"]
    before["final"] = await get(org, a, f"{daily['id']}/periods/{old}")
    context = org.app.state.services
    await replay_tenant(org.app.state.runtime.database, context.processor, org.id)
    assert (
        names(await get(org, a, f"{daily['id']}/entries"))
        == before["daily"]
        == [str(a.id), str(b.id)]
    )
    assert (
        names(await get(org, a, f"{ever['id']}/entries"))
        == before["ever"]
        == [str(b.id), str(a.id)]
    )
    assert (await get(org, a, f"{daily['id']}/me"))["score"] == 8
    final = await get(org, a, f"{daily['id']}/periods/{old}")
    assert final["entries"] == before["final"]["entries"]
    assert names(await get(org, a, f"{ever['id']}/entries")) == await pg_order(org, ever["id"])


# -- points, claims and notifications ----------------------------------------------------


async def test_points_boards_sum_points_awarded_while_processing(org: Org) -> None:
    a, b = await org.member(), await org.member()
    await score(org, [event(a, "profile.completed"), event(b, "profile.completed")])
    board = await make_board(org, key="points", metric="points", event_type=None, property=None)
    processor = org.app.state.services.processor
    database = org.app.state.runtime.database
    batch = Batch(org.id, [])
    moment = datetime.now(UTC)
    batch.award_points(PointsAwarded(a.id, 50, moment, "unlock:first:1"))
    batch.award_points(PointsAwarded(b.id, 80, moment, "unlock:first:1"))
    batch.award_points(PointsAwarded(a.id, 40, moment, "unlock:second:1"))
    async with database.transaction(RowScope.tenant(org.id)) as db:
        await lock_tenant(db, org.id)
        await processor.apply(db, batch)
    page = await get(org, a, f"{board['id']}/entries")
    assert [(e["user_id"], e["score"]) for e in page["entries"]] == [
        (str(a.id), 90),
        (str(b.id), 80),
    ]
    # The first all-time points board is the tenant's main board: its rank is the claim.
    profile = await org.client.get("/api/v1/gamification/members/me", headers=b.headers)
    assert profile.json()["leaderboard_rank"] == 2


async def test_points_boards_follow_the_points_unlocks_award(org: Org) -> None:
    """End to end: achievements run first in a batch, and the points they award are scored."""
    board = await make_board(org, key="points", metric="points", event_type=None, property=None)
    member = await org.member()
    for _ in range(300):  # the login event reaches the log through a Redis stream
        logins = await org.client.get(
            "/api/v1/gamification/events",
            params={"user_id": str(member.id), "type": "member.login", "status": "processed"},
            headers=org.admin.headers,
        )
        if logins.json()["events"]:
            break
        await asyncio.sleep(0.05)
    await score(org, [event(member, "campaign.launched")])
    profile = (
        await org.client.get("/api/v1/gamification/members/me", headers=member.headers)
    ).json()
    assert profile["points"] > 0
    mine = await get(org, member, f"{board['id']}/me")
    assert (mine["score"], mine["rank"]) == (profile["points"], 1)
    assert profile["leaderboard_rank"] == 1  # the tenant's only all-time points board


async def test_entering_the_top_10_notifies_once_and_sets_the_rank_claim(org: Org) -> None:
    a, b = await org.member(), await org.member()
    board = await make_board(org)
    chosen = await org.client.patch(
        "/api/v1/gamification/settings",
        json={"main_leaderboard_id": board["id"]},
        headers=org.admin.headers,
    )
    assert chosen.status_code == 200
    await score(org, [sale(a, 10), sale(b, 5)])
    await score(org, [sale(b, 20), sale(a, 1)])  # b overtakes a, both stay in the top 10
    for member, rank in ((a, 2), (b, 1)):
        profile = await org.client.get("/api/v1/gamification/members/me", headers=member.headers)
        assert profile.json()["leaderboard_rank"] == rank
        inbox = await org.client.get("/api/v1/gamification/notifications", headers=member.headers)
        tops = [n for n in inbox.json()["notifications"] if n["kind"] == "leaderboard_top10"]
        assert len(tops) == 1
        assert tops[0]["data"]["leaderboard_id"] == board["id"]


# -- platform boards ---------------------------------------------------------------------


async def test_platform_boards_rank_opted_in_tenants_by_industry(
    org: Org, other_org: Org, auth_app: FastAPI, gamification_app: FastAPI
) -> None:
    from tests.gamification.factories import make_org

    third = await make_org(auth_app, gamification_app)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with client_for(auth_app) as client:
        admin_headers = bearer(await login(client, root.email))
    body = {
        "key": f"p-{uuid.uuid4().hex[:8]}",
        "name": "Top sellers",
        "metric": "event",
        "event_type": "order.completed",
        "property": "total",
    }
    url = "/api/v1/gamification/platform-admin/leaderboards"
    refused = await org.client.post(url, json=body, headers=org.admin.headers)
    assert refused.status_code == 403  # a tenant admin is not a super admin
    created = await org.client.post(url, json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    board_id = created.json()["id"]
    sellers = {}
    for tenant, industry, opt_in in (
        (org, "retail", True),
        (other_org, "saas", True),
        (third, "retail", False),
    ):
        await tenant.client.patch(
            "/api/v1/gamification/settings",
            json={
                "platform_boards_opt_in": opt_in,
                "industry": industry,
                "display_name": f"Org {industry}",
            },
            headers=tenant.admin.headers,
        )
        sellers[tenant.id] = await tenant.member()
    gamification_app.state.services.platform.forget()
    await score(org, [sale(sellers[org.id], 30), sale(await org.member(), 20)])  # 50 in all
    await score(other_org, [sale(sellers[other_org.id], 70)])
    await score(third, [sale(sellers[third.id], 500)])  # not opted in: not scored
    read = f"/api/v1/gamification/platform/leaderboards/{board_id}/entries"
    ranking = (await org.client.get(read, headers=sellers[org.id].headers)).json()
    assert [(e["tenant_id"], e["score"]) for e in ranking["entries"]] == [
        (str(other_org.id), 70),
        (str(org.id), 50),
    ]
    assert ranking["mine"]["rank"] == 2
    first = (
        await org.client.get(read, params={"limit": 1}, headers=sellers[org.id].headers)
    ).json()
    second = (
        await org.client.get(
            read,
            params={"limit": 1, "cursor": first["next_cursor"]},
            headers=sellers[org.id].headers,
        )
    ).json()
    assert [(e["rank"], e["tenant_id"]) for e in first["entries"] + second["entries"]] == [
        (1, str(other_org.id)),
        (2, str(org.id)),
    ]
    assert second["next_cursor"] is None
    retail = (
        await org.client.get(read, params={"industry": "retail"}, headers=sellers[org.id].headers)
    ).json()
    assert [e["tenant_id"] for e in retail["entries"]] == [str(org.id)]
    assert retail["entries"][0]["rank"] == 1
    outsider = await third.client.get(read, headers=sellers[third.id].headers)
    assert outsider.status_code == 403
    listed = await org.client.get(
        "/api/v1/gamification/platform/leaderboards", headers=sellers[org.id].headers
    )
    assert board_id in [b["id"] for b in listed.json()]
    tenant_view = await org.client.get(f"{BASE}/{board_id}", headers=org.admin.headers)
    assert tenant_view.status_code == 404  # not one of the tenant's boards
    await third.client.aclose()


# -- score jumps (the LeaderboardAgent's flags) -------------------------------------------


async def a_score_jump(org: Org, clock: Clock) -> tuple[dict[str, Any], Member, list[Member]]:
    """A daily board over three days: three steady sellers, and Jumpy Jones, who sold 10 a
    day, then 500 on the last day, which is now archived."""
    steady = [await org.member() for _ in range(3)]
    jumper = await org.member(full_name="Jumpy Jones")
    now = datetime.now(UTC)
    days = [now - timedelta(days=d) for d in (4, 3, 2)]
    clock.set(days[0])
    board = await make_board(org, period="daily")
    for day in days:
        clock.set(day)
        await get(org, org.admin, f"{board['id']}/entries")  # the day's period begins
        usual = [sale(m, 20 + 5 * k, day) for k, m in enumerate(steady)]
        await score(org, [*usual, sale(jumper, 500 if day == days[-1] else 10, day)])
    clock.restore()
    await get(org, org.admin, f"{board['id']}/entries")  # the jump's day is archived
    return board, jumper, steady


async def test_a_score_jump_is_held_out_of_the_final_ranks_until_an_admin_clears_it(
    org: Org, clock: Clock
) -> None:
    board, jumper, steady = await a_score_jump(org, clock)
    latest = (await get(org, org.admin, f"{board['id']}/periods"))["periods"][0]
    assert latest["participants"] == 4
    results = f"{board['id']}/periods/{latest['period_start']}"
    final = await get(org, org.admin, results)
    assert [(e["rank"], e["user_id"]) for e in final["entries"]] == [
        (1, str(steady[2].id)),
        (2, str(steady[1].id)),
        (3, str(steady[0].id)),
    ]
    (flag,) = (await get(org, org.admin, f"{board['id']}/flags"))["flags"]
    assert (flag["member_id"], flag["name"], flag["status"]) == (
        str(jumper.id),
        "Jumpy Jones",
        "open",
    )
    assert (flag["score"], flag["own_best"], flag["others_best"]) == (500, 10, 30)
    # The LeaderboardAgent reports the same flag; members can neither list nor decide it.
    told = await org.client.post(
        "/api/v1/gamification/agents/tasks",
        json={"task_type": "score_jumps", "payload": {"leaderboard_id": board["id"]}},
        headers=org.admin.headers,
    )
    assert told.status_code == 201, told.text
    assert [f["id"] for f in told.json()["result"]["flags"]] == [flag["id"]]
    decide = f"{BASE}/{board['id']}/flags/{flag['id']}"
    for refused in (
        await org.client.get(f"{BASE}/{board['id']}/flags", headers=jumper.headers),
        await org.client.post(f"{decide}/clear", headers=jumper.headers),
    ):
        assert refused.status_code == 403

    cleared = await org.client.post(f"{decide}/clear", headers=org.admin.headers)
    assert cleared.status_code == 200 and cleared.json()["status"] == "cleared"
    final = await get(org, org.admin, results)
    assert [(e["rank"], e["user_id"]) for e in final["entries"]][:2] == [
        (1, str(jumper.id)),
        (2, str(steady[2].id)),
    ]
    again = await org.client.post(f"{decide}/uphold", headers=org.admin.headers)
    assert again.status_code == 409
    assert (await get(org, org.admin, f"{board['id']}/flags"))["flags"] == []

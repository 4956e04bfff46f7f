"""The admin dashboard as a tenant admin uses it, through the gateway: the metrics and
their charts, the achievement designer (its preview, its errors next to the fields, what
it saves counting for members), and the fraud review queue."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from markupsafe import escape

from tests.gamification.factories import Org, event, make_org
from tests.gamification.test_agents import quick_fingers
from tests.gamification.test_leaderboards import Clock, a_score_jump
from tests.gamification.test_referrals import (
    code_of,
    converted,
    doubtful,
    make_program,
    person,
    referee,
)
from tests.web.conftest import (
    browser_for,
    hidden_csrf,
    hidden_value,
    member_browser,
    session_cookies,
)

ACHIEVEMENTS = "/api/v1/gamification/achievements"


async def admin_browser(org: Org) -> httpx.AsyncClient:
    return browser_for(org.app, await session_cookies(org.auth_app, org.admin.user.email))


def designer_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "key": "big_spender",
        "name": "Big spender",
        "event_type": "order.completed",
        "aggregation": "sum",
        "property": "total",
        "timezone": "UTC",
        "level_threshold_0": "100",
        "level_points_0": "5",
        "level_name_1": "gold",
        "level_threshold_1": "800",
        "level_points_1": "20",
        "filter_property_0": "currency",
        "filter_op_0": "in",
        "filter_value_0": "EUR, USD",
        **fields,
    }


async def definitions(org: Org) -> dict[str, Any]:
    listed = await org.client.get(f"{ACHIEVEMENTS}/definitions", headers=org.admin.headers)
    return {d["key"]: d for d in listed.json()}


async def test_the_overview_shows_the_metrics_and_their_charts(org: Org) -> None:
    async with await admin_browser(org) as browser:
        page = await browser.get("/admin")
        wrong = await browser.get("/admin", params={"start": "2026-13-01"})
        backwards = await browser.get("/admin", params={"start": "2026-05-02", "end": "2026-05-01"})
    assert page.status_code == 200
    for metric in ("Achievement unlock rate", "Referral conversion", "Fraud flags"):
        assert metric in page.text
    data = re.search(r'<script type="application/json" id="rates-data">(.+?)</script>', page.text)
    assert data is not None
    chart = json.loads(data.group(1))
    assert len(chart["labels"]) == 30 and chart["datasets"]
    assert "Dates are written YYYY-MM-DD." in wrong.text and wrong.status_code == 200
    assert 'aria-invalid="true"' in backwards.text  # the API's refusal, beside the dates


async def test_the_designer_previews_refuses_with_reasons_and_saves(org: Org) -> None:
    buyer, other = await org.member(), await org.member()
    key = await org.api_key()
    orders = [event(buyer, "order.completed", total=300, currency="EUR") for _ in range(3)]
    orders += [event(other, "order.completed", total=500, currency="GBP")]
    assert (await org.send(orders, key)).status_code == 202
    await org.settle()
    async with await admin_browser(org) as browser:
        blank = await browser.get("/admin/achievements/new")
        csrf = hidden_csrf(blank.text)
        preview = await browser.post(
            "/admin/achievements/preview",
            data=designer_form(csrf, key="", name=""),
            headers={"hx-request": "true"},
        )
        assert preview.status_code == 200 and "<html" not in preview.text
        assert "<strong>1</strong> member would unlock it now" in preview.text
        assert "Gold: 1" in preview.text  # 900 EUR; the GBP order is filtered out

        refused = await browser.post(
            "/admin/achievements/new",
            data=designer_form(csrf, key="Big Spender", level_threshold_1="50"),
        )
        assert refused.status_code == 400
        assert 'id="key-error"' in refused.text and 'id="levels-error"' in refused.text
        assert "strictly increasing" in refused.text
        assert 'value="Big Spender"' in refused.text and 'value="EUR, USD"' in refused.text
        assert "big_spender" not in await definitions(org)

        saved = await browser.post("/admin/achievements/new", data=designer_form(csrf))
        assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
        listed = (await browser.get(saved.headers["location"])).text
    assert "Saved." in listed and "Big spender" in listed
    stored = (await definitions(org))["big_spender"]
    assert stored["trigger"]["filters"] == [
        {"property": "currency", "op": "in", "value": ["EUR", "USD"]}
    ]
    assert [(lv["name"], lv["threshold"]) for lv in stored["levels"]] == [
        ("bronze", 100),
        ("gold", 800),
    ]
    # What the designer saved counts for members from the next event on.
    assert (
        await org.send([event(other, "order.completed", total=150, currency="USD")], key)
    ).status_code == 202
    await org.settle()
    mine = await org.client.get(f"{ACHIEVEMENTS}/{org.id}", headers=other.headers)
    unlocked = {a["key"]: a["unlocked"] for a in mine.json()["achievements"]}
    assert [u["name"] for u in unlocked["big_spender"]] == ["bronze"]


async def test_the_designer_edits_and_archives(org: Org) -> None:
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/achievements/new")).text)
        await browser.post("/admin/achievements/new", data=designer_form(csrf))
        stored = (await definitions(org))["big_spender"]
        editor = (await browser.get(f"/admin/achievements/{stored['id']}")).text
        assert 'value="Big spender"' in editor and 'value="EUR, USD"' in editor
        assert '<option value="sum" selected>' in editor
        changed = await browser.post(
            f"/admin/achievements/{stored['id']}",
            data=designer_form(csrf, name="Top spender", hidden="on", key="ignored"),
        )
        assert changed.status_code == 303
        asked = await browser.post(
            f"/admin/achievements/{stored['id']}/archive", data={"csrf_token": csrf}
        )
        assert asked.status_code == 200 and "Archive Top spender?" in asked.text
        assert (await definitions(org))["big_spender"]["status"] == "active"  # not yet
        archived = await browser.post(
            f"/admin/achievements/{stored['id']}/archive",
            data={"csrf_token": csrf, "confirm": hidden_value(asked.text, "confirm")},
        )
        assert archived.status_code == 303
        forged = await browser.post(
            f"/admin/achievements/{stored['id']}/restore", data={"csrf_token": "forged"}
        )
        assert forged.status_code == 400
        shelf = (await browser.get("/admin/achievements?status=archived")).text
    now = (await definitions(org))["big_spender"]
    assert (now["name"], now["hidden"], now["status"]) == ("Top spender", True, "archived")
    assert "Top spender" in shelf and "Restore" in shelf


async def test_the_review_queue_approves_a_held_conversion_with_a_note(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    newcomer = await referee(org)
    held = await doubtful(org, await org.api_key(), code, newcomer)
    async with await admin_browser(org) as browser:
        queue = (await browser.get("/admin/referrals/review")).text
        assert f'value="{held["id"]}"' in queue and "Why it was held" in queue
        csrf = hidden_csrf(queue)
        nothing = await browser.post(
            "/admin/referrals/review", data={"csrf_token": csrf, "decision": "approve"}
        )
        assert nothing.status_code == 400 and "Tick at least one conversion." in nothing.text
        done = await browser.post(
            "/admin/referrals/review",
            data={
                "csrf_token": csrf,
                "decision": "approve",
                "conversion": held["id"],
                "note": "They are cousins",
            },
        )
        assert done.status_code == 303
        approved = (await browser.get("/admin/referrals/review?status=approved")).text
    assert "They are cousins" in approved
    answer = await org.client.get(
        "/api/v1/gamification/referrals/review",
        params={"status": "approved"},
        headers=org.admin.headers,
    )
    assert [c["id"] for c in answer.json()["conversions"]] == [held["id"]]


def board_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "key": "top_sellers",
        "name": "Top sellers",
        "metric": "event",
        "operator": "sum",
        "event_type": "order.completed",
        "property": "total",
        "sort_order": "desc",
        "period": "cron",
        "cron": "0 9 * * 1",
        "timezone": "Europe/Berlin",
        "visibility": "public",
        "filter_property_0": "currency",
        "filter_op_0": "eq",
        "filter_value_0": "EUR",
        "max_change_per_event": "1000",
        **fields,
    }


async def test_an_admin_defines_edits_and_archives_a_board(org: Org) -> None:
    boards = "/api/v1/gamification/leaderboards"
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/leaderboards/new")).text)
        refused = await browser.post(
            "/admin/leaderboards/new", data=board_form(csrf, cron="every monday")
        )
        assert refused.status_code == 400
        assert 'value="every monday"' in refused.text and 'value="Top sellers"' in refused.text
        assert (await org.client.get(boards, headers=org.admin.headers)).json() == []

        saved = await browser.post("/admin/leaderboards/new", data=board_form(csrf))
        assert saved.status_code == 303, saved.text
        listed = (await browser.get(saved.headers["location"])).text
        assert "Top sellers" in listed and "0 9 * * 1" in listed and "Public" in listed
        board = (await org.client.get(boards, headers=org.admin.headers)).json()[0]
        assert (board["timezone"], board["max_change_per_event"]) == ("Europe/Berlin", 1000)
        assert board["filters"] == [{"property": "currency", "op": "eq", "value": "EUR"}]

        editor = (await browser.get(f"/admin/leaderboards/{board['id']}")).text
        assert "fixed once it is made" in editor and 'value="EUR"' in editor
        nameless = await browser.post(
            f"/admin/leaderboards/{board['id']}", data={"csrf_token": csrf, "name": ""}
        )
        assert nameless.status_code == 400 and 'id="name-error"' in nameless.text
        assert "fixed once it is made" in nameless.text  # the board's editor, shown again
        changed = await browser.post(
            f"/admin/leaderboards/{board['id']}",
            data={
                "csrf_token": csrf,
                "name": "Best sellers",
                "visibility": "members",
                "max_change_per_event": "",
                "max_change_per_period": "5000",
            },
        )
        assert changed.status_code == 303, changed.text
        now = (await org.client.get(f"{boards}/{board['id']}", headers=org.admin.headers)).json()
        assert (now["name"], now["visibility"], now["filters"]) == ("Best sellers", "members", [])
        assert (now["max_change_per_event"], now["max_change_per_period"]) == (None, 5000)

        asked = await browser.post(
            f"/admin/leaderboards/{board['id']}/archive", data={"csrf_token": csrf}
        )
        assert asked.status_code == 200 and "Archive Best sellers?" in asked.text
        archived = await browser.post(
            f"/admin/leaderboards/{board['id']}/archive",
            data={"csrf_token": csrf, "confirm": "yes"},
        )
        assert archived.status_code == 303
        shelf = (await browser.get("/admin/leaderboards?status=archived")).text
    assert "Best sellers" in shelf


async def test_an_admin_finds_invites_changes_and_disables_people(org: Org) -> None:
    member, member_session = await member_browser(org, full_name="Pat Searchable")
    async with await admin_browser(org) as browser, member_session:
        found = (await browser.get("/admin/people", params={"q": "searchABLE"})).text
        assert "Pat Searchable" in found
        assert f'<span class="muted">{org.admin.user.email}</span>' not in found
        assert 'action="/admin/platform"' in found  # the header's platform switch
        csrf = hidden_csrf(found)

        bad = await browser.post(
            "/admin/people/invite",
            data={"csrf_token": csrf, "email": "not-an-email", "full_name": "Newt"},
        )
        assert bad.status_code == 400
        assert 'id="email-error"' in bad.text and 'value="Newt"' in bad.text
        invited = await browser.post(
            "/admin/people/invite",
            data={"csrf_token": csrf, "email": "newt@example.com", "full_name": "Newt"},
        )
        assert invited.status_code == 303 and invited.headers["location"].endswith("done=invited")
        listed = (await browser.get("/admin/people", params={"q": "newt@"})).text
        assert "Newt" in listed and "Invited" in listed

        changed = await browser.post(
            f"/admin/people/{member.id}",
            data={
                "csrf_token": csrf,
                "full_name": "Pat Promoted",
                "role": "tenant_admin",
                "permission": ["view_analytics", "review_fraud"],
                "platform": ["bizoholic"],
            },
        )
        assert changed.status_code == 303, changed.text
        shown = (await browser.get(f"/admin/people/{member.id}")).text
        assert "Pat Promoted" in shown and 'value="review_fraud" checked' in shown

        assert (await member_session.get("/admin")).status_code == 200  # promoted at once
        asked = await browser.post(f"/admin/people/{member.id}/disable", data={"csrf_token": csrf})
        assert asked.status_code == 200 and "Disable Pat Promoted?" in asked.text
        assert (await member_session.get("/admin")).status_code == 200  # nothing happened yet
        disabled = await browser.post(
            f"/admin/people/{member.id}/disable", data={"csrf_token": csrf, "confirm": "yes"}
        )
        assert disabled.status_code == 303
        assert (await member_session.get("/admin")).status_code == 303  # signed out
        log = (await browser.get("/admin/people/audit")).text
    assert "newt@example.com" in log or "Newt" in log


async def test_a_key_secret_is_shown_once_and_a_revoked_key_stops_working(org: Org) -> None:
    buyer = await org.member()
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/keys")).text)
        nameless = await browser.post("/admin/keys", data={"csrf_token": csrf, "name": ""})
        assert nameless.status_code == 400 and 'id="name-error"' in nameless.text
        created = await browser.post(
            "/admin/keys", data={"csrf_token": csrf, "name": "Shop <server>"}
        )
        assert created.status_code == 201
        secret = re.search(r'id="new-key" class="code" value="([^"]+)"', created.text)
        assert secret is not None and "Shop &lt;server&gt;" in created.text
        key = secret.group(1)
        assert (await org.send([event(buyer, "order.completed", total=5)], key)).status_code == 202
        again = (await browser.get("/admin/keys")).text
        assert key not in again and "Shop &lt;server&gt;" in again  # never shown again
        key_id = re.search(r'action="/admin/keys/([^/]+)/revoke"', again).group(1)  # type: ignore[union-attr]
        asked = await browser.post(f"/admin/keys/{key_id}/revoke", data={"csrf_token": csrf})
        assert asked.status_code == 200 and "Revoke this API key?" in asked.text
        revoked = await browser.post(
            f"/admin/keys/{key_id}/revoke", data={"csrf_token": csrf, "confirm": "yes"}
        )
        assert revoked.status_code == 303
        assert "Revoked" in (await browser.get("/admin/keys")).text
    assert (await org.send([event(buyer, "order.completed", total=5)], key)).status_code == 401


async def test_a_mangled_address_is_refused_not_an_error(org: Org) -> None:
    mangled = "%C2%81t%C3%8E%7F"
    async with await admin_browser(org) as browser:
        for path in ("achievements", "leaderboards", "people"):
            answer = await browser.get(f"/admin/{path}/{mangled}")
            assert answer.status_code == 422, (path, answer.status_code)
        someone_else = await browser.get(f"/admin/people/{uuid.uuid4()}")
    assert someone_else.status_code == 404 and "There is nothing here" in someone_else.text


async def test_a_members_page_shows_their_points_rewards_and_referral_tree(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    newcomer = await referee(org)
    held = await doubtful(org, await org.api_key(), code, newcomer)
    async with await admin_browser(org) as browser:
        page = (await browser.get(f"/admin/people/{alice.id}")).text
        theirs = (await browser.get(f"/admin/people/{newcomer.id}")).text
    assert "Referral tree" in page and f'href="/admin/people/{newcomer.id}"' in page
    assert "Fraud flags" in page and escape(held["risk_reasons"][0]["detail"]) in page
    assert f'href="/admin/people/{alice.id}">this member</a>' in theirs


async def test_an_admin_signs_a_member_out_everywhere_and_erases_their_data(org: Org) -> None:
    other_org = await make_org(org.auth_app, org.app)
    member, member_session = await member_browser(org)
    await org.send([event(member, "campaign.launched")], await org.api_key())
    await org.settle()
    async with await admin_browser(org) as browser, member_session:
        csrf = hidden_csrf((await browser.get(f"/admin/people/{member.id}")).text)
        async with other_org.client:
            elsewhere = await other_org.client.delete(
                f"/api/v1/auth/users/{member.id}/sessions", headers=other_org.admin.headers
            )
        assert elsewhere.status_code == 404  # through the gateway, as another tenant's admin
        assert (await member_session.get("/portal")).status_code == 200
        ended = await browser.post(f"/admin/people/{member.id}/sign-out", data={"csrf_token": csrf})
        assert ended.status_code == 303 and ended.headers["location"].endswith("done=ended")
        assert (await member_session.get("/portal")).status_code == 303  # signed out
        await session_cookies(org.auth_app, member.user.email)  # and may sign in again

        erased = await browser.post(
            f"/admin/people/{member.id}/erase", data={"csrf_token": csrf, "confirm": "yes"}
        )
        assert erased.status_code == 303
        page = (await browser.get(erased.headers["location"])).text
    assert "gamification data is erased" in page
    mine = await org.client.get(
        f"{ACHIEVEMENTS}/{org.id}", params={"user_id": str(member.id)}, headers=org.admin.headers
    )
    assert all(a["unlocked"] == [] for a in mine.json()["achievements"])


async def test_an_admin_sees_a_members_sessions_ends_one_and_exports_their_data(
    org: Org,
) -> None:
    member, phone = await member_browser(org)
    laptop = browser_for(org.app, await session_cookies(org.auth_app, member.user.email))
    await org.send([event(member, "campaign.launched")], await org.api_key())
    await org.settle()
    async with await admin_browser(org) as browser, phone, laptop:
        page = (await browser.get(f"/admin/people/{member.id}")).text
        ends = re.findall(rf'action="/admin/people/{member.id}/sessions/([^"/]+)/end"', page)
        phones = (await phone.get("/api/v1/auth/me")).json()["session_id"]
        assert phones in ends and len(ends) == 3  # each device its row (and the factory's)
        ended = await browser.post(
            f"/admin/people/{member.id}/sessions/{phones}/end",
            data={"csrf_token": hidden_csrf(page)},
        )
        assert ended.status_code == 303
        assert (await phone.get("/portal")).status_code == 303  # that device is signed out
        assert (await laptop.get("/portal")).status_code == 200  # the other is not

        download = await browser.get(f"/admin/people/{member.id}/export")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    data = download.json()
    assert data["account"]["email"] == member.user.email
    assert len(data["sessions"]) == 2  # the laptop and the factory's; the phone ended
    events = data["gamification"]["sections"]["events"]
    assert "campaign.launched" in {e["type"] for e in events}


def program_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "Friends of Acme",
        "platform": "bizoholic",
        "status": "active",
        "share_message": "Acme saves me hours",
        "referrer_amount": "10",
        "referrer_unit": "points",
        "referee_amount": "5",
        "referee_unit": "credit",
        "tier_min_0": "3",
        "tier_amount_0": "20",
        "tier_unit_0": "points",
        "qualifying_event": "first_purchase",
        "attribution_window_days": "30",
        "hold_days": "0",
        "manual_approval": "on",
        "cap_count": "5",
        "cap_days": "30",
        **fields,
    }


async def test_an_admin_makes_and_changes_a_referral_program(org: Org) -> None:
    programs = "/api/v1/gamification/referrals/programs"
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/referrals/programs/new")).text)
        falling = await browser.post(
            "/admin/referrals/programs/new",
            data=program_form(csrf, tier_min_1="2", tier_amount_1="30", tier_unit_1="points"),
        )
        assert falling.status_code == 400 and "strictly increasing" in falling.text
        assert 'value="Friends of Acme"' in falling.text  # what was typed is kept
        zero = await browser.post(
            "/admin/referrals/programs/new",
            data=program_form(csrf, tier_min_1="6", tier_amount_1="0"),
        )
        assert zero.status_code == 400 and 'id="tier_amount_1-error"' in zero.text
        assert (await org.client.get(programs, headers=org.admin.headers)).json() == []

        made = await browser.post("/admin/referrals/programs/new", data=program_form(csrf))
        assert made.status_code == 303, made.text
        (program,) = (await org.client.get(programs, headers=org.admin.headers)).json()
        assert program["manual_approval"] is True and program["cap_per_period"] == {
            "count": 5,
            "days": 30,
        }
        assert program["tiers"][0]["min_referrals"] == 3
        editor = (await browser.get(f"/admin/referrals/programs/{program['id']}")).text
        assert 'value="Friends of Acme"' in editor and 'name="manual_approval" checked' in editor
        changed = await browser.post(
            f"/admin/referrals/programs/{program['id']}",
            data=program_form(
                csrf, referee_amount="", cap_count="", cap_days="", manual_approval=""
            ),
        )
        assert changed.status_code == 303, changed.text
        listed = (await browser.get("/admin/referrals")).text
    now = (await org.client.get(f"{programs}/{program['id']}", headers=org.admin.headers)).json()
    assert now["referee_reward"] is None and now["cap_per_period"] is None
    assert now["manual_approval"] is False
    assert "Friends of Acme" in listed


async def test_an_admin_approves_then_pays_rewards_from_the_ledger(org: Org) -> None:
    await make_program(org, manual_approval=True)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await person(org, "Bruno Brand")
    await converted(org, await org.api_key(), code=code, referee_id=bruno.id)
    async with await admin_browser(org) as browser:
        waiting = (await browser.get("/admin/rewards?status=unapproved")).text
        assert "Alice Archer" in waiting and "Bruno Brand" in waiting
        assert "Awaiting approval (points)" in waiting  # the totals
        csrf = hidden_csrf(waiting)
        entries = re.findall(r'name="entry" value="([^"]+)"', waiting)
        assert len(entries) == 2
        empty = await browser.post(
            "/admin/rewards",
            data={"csrf_token": csrf, "status": "unapproved", "decision": "approve"},
        )
        assert empty.status_code == 400 and "Tick at least one reward." in empty.text
        approved = await browser.post(
            "/admin/rewards",
            data={
                "csrf_token": csrf,
                "status": "unapproved",
                "decision": "approve",
                "entry": entries,
                "note": "Orders checked",
            },
        )
        assert approved.status_code == 303
        assert approved.headers["location"] == "/admin/rewards?status=unapproved&done=rewarded"
        again = await browser.post(
            "/admin/rewards",
            data={
                "csrf_token": csrf,
                "status": "unapproved",
                "decision": "approve",
                "entry": entries,
            },
        )
        assert again.status_code == 400 and "Only unapproved rewards" in again.text
        available = (await browser.get("/admin/rewards?status=available")).text
        assert "Orders checked" in available and "Mark paid" in available
        paid = await browser.post(
            "/admin/rewards",
            data={
                "csrf_token": csrf,
                "status": "available",
                "decision": "pay",
                "entry": entries[:1],
            },
        )
        assert paid.status_code == 303
        shelf = (await browser.get("/admin/rewards?status=paid")).text
    assert shelf.count('href="/admin/people/') >= 1 and "Paid" in shelf
    paid_entries = await org.client.get(
        "/api/v1/gamification/rewards/ledger", params={"status": "paid"}, headers=org.admin.headers
    )
    assert [e["id"] for e in paid_entries.json()["entries"]] == entries[:1]


async def test_an_admin_generates_edits_publishes_and_unpublishes_a_showcase(org: Org) -> None:
    member = await org.member(full_name="Maya Maker")
    key = await org.api_key()
    await org.send([event(member, "order.completed", total=120) for _ in range(3)], key)
    await org.settle()
    async with await admin_browser(org) as browser:
        start = (await browser.get(f"/admin/showcases?user_id={member.id}")).text
        assert f'value="{member.user.email}"' in start  # from the member's page, prefilled
        csrf = hidden_csrf(start)
        stranger = await browser.post(
            "/admin/showcases/generate",
            data={"csrf_token": csrf, "title": "How Maya sells", "member": "nobody@example.com"},
        )
        assert stranger.status_code == 400 and 'id="member-error"' in stranger.text
        assert 'value="How Maya sells"' in stranger.text
        made = await browser.post(
            "/admin/showcases/generate",
            data={
                "csrf_token": csrf,
                "title": "How Maya sells",
                "member": member.user.email.upper(),
            },
        )
        assert made.status_code == 303, made.text
        editor_url = made.headers["location"].split("?")[0]
        editor = (await browser.get(editor_url)).text
        assert 'value="How Maya sells"' in editor and 'value="Orders"' in editor
        portfolio_id = editor_url.rsplit("/", 1)[1]
        bad = await browser.post(
            editor_url,
            data={
                "csrf_token": csrf,
                "title": "How Maya sells",
                "metric_name_0": "Orders",
                "metric_before_value_0": "many",
            },
        )
        assert bad.status_code == 400, bad.text
        assert 'id="metric_before_value_0-error"' in bad.text
        assert 'value="many"' in bad.text
        saved = await browser.post(
            editor_url,
            data={
                "csrf_token": csrf,
                "title": "How Maya sells <fast>",
                "summary": "Three orders in a quarter.",
                "metric_name_0": "Orders",
                "metric_before_value_0": "0",
                "metric_after_value_0": "3",
                "metric_name_1": "",
                "seo_title": "Maya's quarter",
            },
        )
        assert saved.status_code == 303, saved.text
        published = await browser.post(f"{editor_url}/publish", data={"csrf_token": csrf})
        assert published.status_code == 303
        shown = (await browser.get(editor_url)).text
        assert "How Maya sells &lt;fast&gt;" in shown and "Its public page" in shown
        public_url = re.search(r'href="([^"]+)">Its public page', shown).group(1)  # type: ignore[union-attr]
        unpublished = await browser.post(f"{editor_url}/unpublish", data={"csrf_token": csrf})
        assert unpublished.status_code == 303
        asked = await browser.post(f"{editor_url}/archive", data={"csrf_token": csrf})
        assert asked.status_code == 200 and "Archive How Maya sells" in asked.text
    stored = await org.client.get(
        f"/api/v1/gamification/portfolios/{portfolio_id}", headers=org.admin.headers
    )
    body = stored.json()
    assert body["status"] == "draft" and body["public_url"] is None
    assert [(m["name"], m["after_value"]) for m in body["metrics"]] == [("Orders", 3.0)]
    assert public_url.endswith(f"/showcase/{org.tenant.slug}/{body['slug']}")


async def test_bad_input_in_the_forms_is_refused_beside_its_field_and_text_is_escaped(
    org: Org,
) -> None:
    script = "<script>alert(1)</script>"
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/achievements/new")).text)
        negative = await browser.post(
            "/admin/achievements/new", data=designer_form(csrf, level_threshold_0="-1")
        )
        assert negative.status_code == 400 and 'id="level_threshold_0-error"' in negative.text
        assert 'value="-1"' in negative.text
        wrong_type = await browser.post(
            "/admin/referrals/programs/new",
            data=program_form(csrf, hold_days="soon", tier_min_0="three"),
        )
        assert wrong_type.status_code == 400
        assert 'id="hold_days-error"' in wrong_type.text and 'value="soon"' in wrong_type.text
        saved = await browser.post(
            "/admin/achievements/new", data=designer_form(csrf, name=f"Big {script}")
        )
        assert saved.status_code == 303
        listed = (await browser.get("/admin/achievements")).text
        forged = await browser.post(
            "/admin/referrals/programs/new", data=program_form("forged-token")
        )
        stranger = await browser.get(f"/admin/showcases/{uuid.uuid4()}")
    assert script not in listed and "Big &lt;script&gt;alert(1)&lt;/script&gt;" in listed
    assert forged.status_code == 400
    assert stranger.status_code == 404
    programs = await org.client.get(
        "/api/v1/gamification/referrals/programs", headers=org.admin.headers
    )
    assert programs.json() == []  # nothing the refused forms sent was stored


async def test_the_agents_page_runs_reports_and_shows_what_they_found(org: Org) -> None:
    cheat = await quick_fingers(org, 60)
    async with await admin_browser(org) as browser:
        before = await browser.get("/admin/agents")
        assert before.status_code == 200 and before.text.count("Not run yet.") == 3
        csrf = hidden_csrf(before.text)
        for task_type in ("manipulation_flags", "achievement_report", "referral_report"):
            ran = await browser.post(
                "/admin/agents/run", data={"csrf_token": csrf, "task_type": task_type}
            )
            assert ran.status_code == 303 and ran.headers["location"] == "/admin/agents?done=ran"
        forged = await browser.post(
            "/admin/agents/run", data={"csrf_token": "forged", "task_type": "referral_report"}
        )
        assert forged.status_code == 400
        page = (await browser.get("/admin/agents?done=ran")).text
        dismiss = re.search(r'action="(/admin/agents/activity/[^"]+/dismiss)"', page)
        assert dismiss is not None
        dismissed = await browser.post(dismiss.group(1), data={"csrf_token": csrf})
        assert dismissed.headers["location"] == "/admin/agents?done=dismissed"
        after = (await browser.get("/admin/agents?done=dismissed")).text
    assert "Not run yet." not in page and "the report below is fresh" in page
    assert f'href="/admin/people/{cheat.id}">Quick Fingers</a>' in page
    assert "Recent tasks" in page and "manipulation flags" in page
    assert "not reported again today" in after and "Quick Fingers</a>" not in after
    assert "No member's activity jumped in the last 24 hours." in after
    tasks = await org.client.get("/api/v1/gamification/agents/tasks", headers=org.admin.headers)
    assert len(tasks.json()["tasks"]) == 4  # the forged form ran nothing; the dismissal reran it


async def test_an_admin_clears_a_score_jump_on_the_agents_page(org: Org) -> None:
    clock = Clock(org.app.state.services.live)
    try:
        board, jumper, _ = await a_score_jump(org, clock)
    finally:
        clock.restore()
    async with await admin_browser(org) as browser:
        page = (await browser.get("/admin/agents")).text
        assert "Score jumps held out of final ranks" in page
        assert f'href="/admin/people/{jumper.id}">Jumpy Jones</a>' in page and "500" in page
        clear = re.search(r'action="(/admin/agents/jumps/[^"]+/clear)"', page).group(1)  # type: ignore[union-attr]
        csrf = hidden_csrf(page)
        forged = await browser.post(clear, data={"csrf_token": "forged"})
        assert forged.status_code == 400
        cleared = await browser.post(clear, data={"csrf_token": csrf})
        assert cleared.headers["location"] == "/admin/agents?done=cleared"
        twice = await browser.post(clear, data={"csrf_token": csrf})  # a second click
        assert twice.status_code == 303
        after = (await browser.get("/admin/agents?done=cleared")).text
    assert "the member is ranked" in after and "No score jump is waiting for you." in after
    flags = await org.client.get(
        f"/api/v1/gamification/leaderboards/{board['id']}/flags",
        params={"status": "cleared"},
        headers=org.admin.headers,
    )
    assert [f["member_id"] for f in flags.json()["flags"]] == [str(jumper.id)]


async def test_an_admin_describes_an_achievement_and_confirms_it_in_the_designer(
    org: Org,
) -> None:
    async with await admin_browser(org) as browser:
        csrf = hidden_csrf((await browser.get("/admin/agents")).text)
        vague = await browser.post(
            "/admin/agents/draft", data={"csrf_token": csrf, "request": "be nice"}
        )
        assert vague.status_code == 400 and "Not understood" in vague.text
        assert 'value="be nice"' in vague.text
        proposed = await browser.post(
            "/admin/agents/draft",
            data={"csrf_token": csrf, "request": "Launch 5 campaigns in a week"},
        )
        form = proposed.text
        assert proposed.status_code == 200 and "Proposed by the AchievementSystemAgent" in form
        assert 'value="campaign.launched"' in form and 'value="campaigns_5_7"' in form
        assert not [d for d in (await definitions(org)).values() if d["key"] == "campaigns_5_7"]
        created = await browser.post(
            "/admin/achievements/new",
            data={
                "csrf_token": hidden_csrf(form),
                "key": "campaigns_5_7",
                "name": "5 campaigns within 7 days",
                "event_type": "campaign.launched",
                "aggregation": "count",
                "window_days": "7",
                "timezone": "UTC",
                "level_threshold_0": "5",
                "level_points_0": "50",
            },
        )
        assert created.status_code == 303
    saved = (await definitions(org))["campaigns_5_7"]
    assert saved["trigger"]["window_days"] == 7

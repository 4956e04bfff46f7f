"""The client portal as a member uses it, through the gateway: every page reads and writes
through the APIs as the member, forms carry the session's CSRF token, bad input comes back
next to its field with what was typed, and another tenant's objects are not there."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

from fastapi import FastAPI

from tests.gamification.factories import Org, event
from tests.web.conftest import browser_for, hidden_csrf, member_browser

REFERRALS = "/api/v1/gamification/referrals"


async def program(org: Org, **overrides: object) -> dict[str, object]:
    body = {
        "name": "Bring a friend",
        "platform": "bizoholic",
        "status": "active",
        "share_message": "Try <Acme> & get 5 credit",
        "referrer_reward": {"amount": "10", "unit": "points"},
        "referee_reward": {"amount": "5", "unit": "credit"},
        "tiers": [{"min_referrals": 2, "reward": {"amount": "20", "unit": "points"}}],
        "hold_days": 7,
        **overrides,
    }
    answer = await org.client.post(f"{REFERRALS}/programs", json=body, headers=org.admin.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_member_gets_a_referral_link_and_shares_it(org: Org) -> None:
    await program(org)
    member, browser = await member_browser(org, full_name="Alice Archer")
    async with browser:
        page = (await browser.get("/portal/referrals")).text
        assert "Bring a friend" in page and "Get my referral link" in page
        forged = await browser.post(
            "/portal/referrals/code", data={"csrf_token": "forged", "program_id": ""}
        )
        assert forged.status_code == 400 and "expired" in forged.text
        mine = await org.client.get(f"{REFERRALS}/codes/mine", headers=member.headers)
        assert mine.json() == []  # the forged form changed nothing
        done = await browser.post(
            "/portal/referrals/code",
            data={
                "csrf_token": hidden_csrf(page),
                "program_id": re.search(r'name="program_id" value="([^"]+)"', page).group(1),
            },  # type: ignore[union-attr]
        )
        assert done.status_code == 303 and done.headers["location"].endswith("done=code")
        page = (await browser.get(done.headers["location"])).text
    code = (await org.client.get(f"{REFERRALS}/codes/mine", headers=member.headers)).json()[0]
    assert f'value="{code["share_url"]}"' in page and "Your referral link is ready." in page
    assert 'data-copy="link-1"' in page
    # The program's message is prefilled in the share links, escaped in the page.
    assert "Try &lt;Acme&gt; &amp; get 5 credit" in page and "<Acme>" not in page
    assert "twitter.com/intent/tweet?text=Try+%3CAcme%3E" in page
    assert "wa.me/?text=" in page and "mailto:?subject=" in page
    assert "<strong>2 more</strong> for the next tier" in page


async def test_the_overview_and_achievements_show_the_members_progress(org: Org) -> None:
    member, browser = await member_browser(org, full_name="Bruno Baker")
    key = await org.api_key()
    await org.send([event(member, "campaign.launched", channel="email")], key)
    await org.settle()
    async with browser:
        overview = (await browser.get("/portal")).text
        achievements = (await browser.get("/portal/achievements")).text
    assert "Welcome back, Bruno Baker" in overview and "<dt>Points</dt>" in overview
    assert "First campaign" in achievements and "Unlocked on" in achievements
    assert "Secret achievement" in achievements  # hidden ones stay secret until unlocked
    assert 'role="progressbar"' not in achievements and "<progress" in achievements


async def test_leaderboard_privacy_form_keeps_what_was_typed_when_refused(org: Org) -> None:
    board = (
        await org.client.post(
            "/api/v1/gamification/leaderboards",
            json={"key": "pts", "name": "Points", "metric": "points"},
            headers=org.admin.headers,
        )
    ).json()
    _, browser = await member_browser(org)
    path = f"/portal/leaderboards/{board['id']}"
    async with browser:
        page = (await browser.get(path)).text
        assert "<h1>Points</h1>" in page and "You are not on this board yet." in page
        long_alias = "<b>" + "x" * 70
        refused = await browser.post(
            f"{path}/privacy", data={"csrf_token": hidden_csrf(page), "alias": long_alias}
        )
        assert refused.status_code == 400
        assert 'aria-invalid="true"' in refused.text and "at most 64" in refused.text
        assert "&lt;b&gt;xxx" in refused.text and "<b>xxx" not in refused.text
        saved = await browser.post(
            f"{path}/privacy",
            data={"csrf_token": hidden_csrf(page), "alias": "Quiet one", "hidden": "on"},
        )
        assert saved.status_code == 303
        page = (await browser.get(saved.headers["location"])).text
    assert "Your privacy on this board is saved." in page
    assert 'name="hidden" checked' in page


async def test_another_tenants_board_is_not_found(
    org: Org, auth_app: FastAPI, gamification_app: FastAPI
) -> None:
    from tests.gamification.factories import make_org

    other = await make_org(auth_app, gamification_app)
    async with other.client:
        theirs = (
            await other.client.post(
                "/api/v1/gamification/leaderboards",
                json={"key": "x", "name": "Theirs", "metric": "points"},
                headers=other.admin.headers,
            )
        ).json()
    _, browser = await member_browser(org)
    async with browser:
        answer = await browser.get(f"/portal/leaderboards/{theirs['id']}")
        missing = await browser.get(f"/portal/leaderboards/{uuid.uuid4()}")
    assert answer.status_code == 404 and "Theirs" not in answer.text
    assert missing.status_code == 404


async def test_notifications_are_listed_and_marked_read(org: Org) -> None:
    member, browser = await member_browser(org)
    key = await org.api_key()
    await org.send([event(member, "campaign.launched", channel="email")], key)
    await org.settle()
    async with browser:
        page = (await browser.get("/portal/notifications")).text
        assert "unread" in page and "Mark all read" in page
        done = await browser.post(
            "/portal/notifications/read-all", data={"csrf_token": hidden_csrf(page)}
        )
        page = (await browser.get(done.headers["location"])).text
    assert "You are all caught up." in page and "Marked as read." in page


async def test_a_member_switches_platform_from_the_header(org: Org) -> None:
    _, browser = await member_browser(org, allowed_platforms=["bizoholic", "coreldove"])
    async with browser:
        page = (await browser.get("/portal/achievements")).text
        assert 'name="platform"' in page and '<option value="coreldove"' in page
        switched = await browser.post(
            "/portal/platform",
            data={
                "csrf_token": hidden_csrf(page),
                "platform": "coreldove",
                "next": "/portal/achievements",
            },
        )
        assert switched.status_code == 303
        assert switched.headers["location"] == "/portal/achievements?done=platform"
        me = await browser.get("/api/v1/auth/me")
    assert me.json()["platform"] == "coreldove"


async def test_a_published_showcase_has_a_public_page_without_login(
    org: Org, portal_app: FastAPI
) -> None:
    created = await org.client.post(
        "/api/v1/gamification/portfolios",
        json={
            "title": "How <script>alert(1)</script> doubled sales",
            "summary": "Twice the orders in ninety days.",
            "metrics": [{"name": "Orders", "before_value": 10, "after_value": 20}],
        },
        headers=org.admin.headers,
    )
    portfolio = created.json()
    published = await org.client.post(
        f"/api/v1/gamification/portfolios/{portfolio['id']}/publish", headers=org.admin.headers
    )
    public_url = published.json()["public_url"]
    assert public_url.endswith(f"/showcase/{org.tenant.slug}/{portfolio['slug']}")
    async with browser_for(portal_app) as anonymous:
        page = await anonymous.get(urlsplit(public_url).path)
    html = page.text
    assert page.status_code == 200
    assert '<meta property="og:title" content="How &lt;script&gt;' in html
    assert '<meta name="twitter:card" content="summary">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert ld["@type"] == "Article" and ld["headline"].startswith("How <script>")
    assert "<script>alert(1)</script>" not in html
    assert "Share on LinkedIn" in html

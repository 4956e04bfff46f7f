"""The social media campaign wizard through the API: the ShowcasePortfolioAgent's posts
suggested for a published showcase, one per network within its limit; a post over a
network's limit refused; and, with no publishing service configured here, the posts kept
as scheduled posts with ready share links."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.gamification.factories import Org

W = "/api/v1/wizards"
G = "/api/v1/gamification"


async def published_showcase(org: Org) -> dict[str, Any]:
    member = await org.member()
    created = await org.client.post(
        f"{G}/portfolios",
        json={
            "title": "How Harbour Bakes doubled its orders",
            "user_id": str(member.id),
            "summary": "Two bakers, one referral program.",
            "results": "Orders went from 40 to 80 a week.",
            "share_text": "Harbour Bakes doubled its orders #BizOSaaS",
        },
        headers=org.admin.headers,
    )
    assert created.status_code == 201, created.text
    published = await org.client.post(
        f"{G}/portfolios/{created.json()['id']}/publish", headers=org.admin.headers
    )
    assert published.status_code == 200, published.text
    return published.json()  # type: ignore[no-any-return]


async def test_the_agents_posts_are_suggested_edited_and_kept_with_share_links(org: Org) -> None:
    showcase = await published_showcase(org)
    started = await org.client.post(f"{W}/social-campaign/drafts", headers=org.admin.headers)
    draft = started.json()["id"]

    async def put(step: str, answer: dict[str, Any]) -> Any:
        return await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )

    assert (await put("networks", {"networks": ["x", "linkedin"]})).is_success
    early = await org.client.post(
        f"{W}/drafts/{draft}/steps/posts/suggestion", headers=org.admin.headers
    )
    assert early.status_code == 409  # nothing to write about yet
    promote = await put("promote", {"subject": f"showcase:{showcase['id']}"})
    assert promote.status_code == 200, promote.text

    suggested = await org.client.post(
        f"{W}/drafts/{draft}/steps/posts/suggestion", headers=org.admin.headers
    )
    assert suggested.status_code == 200, suggested.text
    posts = suggested.json()
    assert set(posts) == {"x", "linkedin"}
    assert showcase["public_url"] in posts["x"] and len(posts["x"]) <= 280
    assert "Harbour Bakes" in posts["linkedin"]

    too_long = await put("posts", {"x": "x" * 281, "linkedin": posts["linkedin"]})
    assert too_long.status_code == 422
    assert [p["loc"][-1] for p in too_long.json()["detail"]] == ["x"]
    edited = {**posts, "x": posts["x"].replace("doubled", "DOUBLED")}
    assert (await put("posts", edited)).is_success
    at = (datetime.now() + timedelta(days=1)).replace(microsecond=0).isoformat(timespec="minutes")
    assert (await put("schedule", {"publish_at": at})).is_success

    done = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "waiting"
    assert "BIZOSAAS_UPSTREAM_SOCIAL_PUBLISHER" in body["outcome"]["waiting"]
    links = body["outcome"]["links"]
    tweet = parse_qs(urlparse(links["Share on X (Twitter)"]).query)["text"][0]
    assert tweet == edited["x"]
    linkedin = parse_qs(urlparse(links["Share on LinkedIn"]).query)["url"][0]
    assert linkedin == showcase["public_url"]


async def test_a_subject_of_another_tenant_or_made_up_is_refused(org: Org) -> None:
    started = await org.client.post(f"{W}/social-campaign/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    assert (
        await org.client.put(
            f"{W}/drafts/{draft}/steps/networks",
            json={"networks": ["facebook"]},
            headers=org.admin.headers,
        )
    ).is_success
    for subject in ("showcase:not-an-id", "coupon:0b9c4f8e-8f7e-4c59-9a8b-6f2a1c3d4e5f"):
        refused = await org.client.put(
            f"{W}/drafts/{draft}/steps/promote",
            json={"subject": subject},
            headers=org.admin.headers,
        )
        assert refused.status_code == 422, subject
    stranger = "showcase:0b9c4f8e-8f7e-4c59-9a8b-6f2a1c3d4e5f"  # nobody's, or another tenant's
    kept = await org.client.put(
        f"{W}/drafts/{draft}/steps/promote", json={"subject": stranger}, headers=org.admin.headers
    )
    assert kept.status_code == 200
    suggestion = await org.client.post(
        f"{W}/drafts/{draft}/steps/posts/suggestion", headers=org.admin.headers
    )
    assert suggestion.status_code == 409
    assert "No portfolio" in suggestion.json()["detail"]


async def test_a_program_is_promoted_with_the_agents_posts(org: Org) -> None:
    program = await org.client.post(
        f"{G}/referrals/programs",
        json={
            "name": "Coffee for two",
            "platform": "bizoholic",
            "status": "active",
            "referrer_reward": {"amount": "50", "unit": "points"},
        },
        headers=org.admin.headers,
    )
    started = await org.client.post(f"{W}/social-campaign/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    for step, answer in (
        ("networks", {"networks": ["instagram", "x"]}),
        ("promote", {"subject": f"program:{program.json()['id']}"}),
    ):
        saved = await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )
        assert saved.status_code == 200, saved.text
    suggested = await org.client.post(
        f"{W}/drafts/{draft}/steps/posts/suggestion", headers=org.admin.headers
    )
    posts = suggested.json()
    assert set(posts) == {"instagram", "x"}
    assert "Coffee for two" in posts["x"] and posts["x"].endswith("/portal/referrals")
    assert "Link in bio" in posts["instagram"] and "/portal" not in posts["instagram"]

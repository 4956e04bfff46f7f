"""Showcase portfolios: drafts, validation, publishing, the public page, and the generator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.types import ASGIApp

from bizosaas.core.database import RowScope
from bizosaas.gamification.achievements.models import TenantAchievement
from bizosaas.gamification.members.models import Member
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
)
from bizosaas.identity.vocabulary import Permission
from tests.factories import client_for, runtime_db
from tests.gamification.factories import Org, event
from tests.gamification.test_achievements import at, joined, send

BASE = "/api/v1/gamification/portfolios"
GENERATE = "/api/v1/gamification/portfolio/generate"
PUBLIC = "/api/v1/gamification/public/portfolios"
TEXT_FIELDS = (
    "title",
    "summary",
    "challenge",
    "solution",
    "results",
    "seo_title",
    "seo_description",
    "share_text",
)


async def create(org: Org, **body: Any) -> dict[str, Any]:
    response = await org.client.post(BASE, json=body, headers=org.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def get(org: Org, portfolio_id: str) -> dict[str, Any]:
    response = await org.client.get(f"{BASE}/{portfolio_id}", headers=org.admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def generate(org: Org, **body: Any) -> dict[str, Any]:
    response = await org.client.post(GENERATE, json=body, headers=org.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def metrics(portfolio: dict[str, Any]) -> dict[str, tuple[float | None, float | None]]:
    return {m["name"]: (m["before_value"], m["after_value"]) for m in portfolio["metrics"]}


# -- writing and validation -------------------------------------------------------------


async def test_a_draft_gets_a_slug_from_its_title_and_its_metrics_in_order(org: Org) -> None:
    created = await create(
        org,
        title="Spring Sale — Ünïcode & more!",
        summary="We sold a lot.",
        seo_title="Spring sale",
        metrics=[
            {"name": "Orders", "unit": "orders", "before_value": 10, "after_value": 25},
            {"name": "Revenue", "unit": "EUR", "before_value": "100.5", "after_value": 900},
        ],
    )
    assert created["status"] == "draft"
    assert created["slug"] == "spring-sale-unicode-more"
    assert created["public_path"] is None
    assert [(m["name"], m["position"]) for m in created["metrics"]] == [
        ("Orders", 0),
        ("Revenue", 1),
    ]
    assert metrics(created)["Revenue"] == (100.5, 900.0)

    again = await create(org, title="Spring sale: Unicode, more")
    assert again["slug"] == "spring-sale-unicode-more-2"

    listed = await org.client.get(BASE, params={"status": "draft"}, headers=org.admin.headers)
    assert {p["id"] for p in listed.json()} == {created["id"], again["id"]}
    published = await org.client.get(
        BASE, params={"status": "published"}, headers=org.admin.headers
    )
    assert published.json() == []


async def test_patch_changes_only_what_is_sent_and_replaces_metrics(org: Org) -> None:
    created = await create(
        org, title="Case", summary="Old", metrics=[{"name": "Leads", "after_value": 3}]
    )
    response = await org.client.patch(
        f"{BASE}/{created['id']}",
        json={"summary": "New", "slug": "my-case", "metrics": [{"name": "Orders"}]},
        headers=org.admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["summary"], body["slug"]) == ("Case", "New", "my-case")
    assert metrics(body) == {"Orders": (None, None)}


async def test_bad_input_is_refused_and_changes_nothing(org: Org) -> None:
    first = await create(org, title="First", slug="taken-slug")
    second = await create(org, title="Second", metrics=[{"name": "Leads", "after_value": 1}])
    before = await get(org, second["id"])

    bad_bodies = [
        {"title": "x", "slug": "Bad Slug"},
        {"title": "x", "slug": "-leading-dash"},
        {"title": "x", "slug": "a"},
        {"title": "x", "slug": "a" * 120},
        {"title": "x", "seo_title": "t" * 71},
        {"title": "x", "seo_description": "d" * 161},
        {"title": "x", "share_text": "s" * 501},
        {"title": ""},
        {"title": "x", "unknown": 1},
    ]
    for body in bad_bodies:
        response = await org.client.post(BASE, json=body, headers=org.admin.headers)
        assert response.status_code == 422, (body, response.text)

    fits = await create(org, title="x", seo_title="t" * 70, seo_description="d" * 160)
    assert (len(fits["seo_title"]), len(fits["seo_description"])) == (70, 160)

    duplicate = await org.client.post(
        BASE, json={"title": "Third", "slug": "taken-slug"}, headers=org.admin.headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "Conflict"

    for patch in (
        {"slug": "taken-slug", "summary": "changed"},  # 409
        {"slug": "BAD", "summary": "changed"},  # 422
        {"seo_title": "t" * 71, "summary": "changed"},
        {"title": None},
        {"metrics": [{"name": ""}]},
    ):
        response = await org.client.patch(
            f"{BASE}/{second['id']}", json=patch, headers=org.admin.headers
        )
        assert response.status_code in (409, 422), (patch, response.text)
    assert await get(org, second["id"]) == before

    listed = await org.client.get(BASE, headers=org.admin.headers)
    assert {p["title"] for p in listed.json()} == {"First", "Second", "x"}
    assert first["slug"] == "taken-slug"


# -- publishing and the public page -----------------------------------------------------


async def test_published_portfolios_are_public_without_login(org: Org, other_org: Org) -> None:
    member = await org.member()
    created = await create(
        org,
        title="Our growth",
        user_id=str(member.id),
        summary="Up and to the right.",
        seo_description="How we grew",
        share_text="We grew! #BizOSaaS",
        metrics=[{"name": "Orders", "unit": "orders", "before_value": 1, "after_value": 2}],
    )
    url = f"{PUBLIC}/{org.id}/{created['slug']}"
    async with client_for(org.app) as anonymous:
        assert (await anonymous.get(url)).status_code == 404  # a draft is not public

        published = await org.client.post(
            f"{BASE}/{created['id']}/publish", headers=org.admin.headers
        )
        assert published.status_code == 200
        assert published.json()["status"] == "published"
        assert published.json()["published_at"] is not None
        assert published.json()["public_path"] == url

        response = await anonymous.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["title"] == "Our growth"
        assert page["share_text"] == "We grew! #BizOSaaS"
        assert page["metrics"][0]["after_value"] == 2.0
        assert "id" not in page and "user_id" not in page
        assert str(member.id) not in response.text
        assert member.user.email not in response.text

        # The slug of another tenant, or another tenant's id with this slug: nothing.
        assert (
            await anonymous.get(f"{PUBLIC}/{other_org.id}/{created['slug']}")
        ).status_code == 404
        assert (
            await anonymous.get(f"{PUBLIC}/{uuid.uuid4()}/{created['slug']}")
        ).status_code == 404
        assert (await anonymous.get(f"{PUBLIC}/{org.id}/no-such-slug")).status_code == 404

        # Published: it cannot be deleted, only unpublished or archived.
        refused = await org.client.delete(f"{BASE}/{created['id']}", headers=org.admin.headers)
        assert refused.status_code == 409
        assert (await anonymous.get(url)).status_code == 200

        await org.client.post(f"{BASE}/{created['id']}/unpublish", headers=org.admin.headers)
        assert (await anonymous.get(url)).status_code == 404

        await org.client.post(f"{BASE}/{created['id']}/publish", headers=org.admin.headers)
        archived = await org.client.post(
            f"{BASE}/{created['id']}/archive", headers=org.admin.headers
        )
        assert archived.json()["status"] == "archived"
        assert (await anonymous.get(url)).status_code == 404


async def test_the_public_page_passes_the_gateway_without_login(org: Org, gateway: ASGIApp) -> None:
    created = await create(org, title="Through the gateway")
    await org.client.post(f"{BASE}/{created['id']}/publish", headers=org.admin.headers)
    async with client_for(gateway) as anonymous:
        page = await anonymous.get(f"{PUBLIC}/{org.id}/{created['slug']}")
        listing = await anonymous.get(BASE)
    assert page.status_code == 200, page.text
    assert page.json()["title"] == "Through the gateway"
    assert listing.status_code == 401  # the rest needs a login


async def test_a_draft_can_be_deleted(org: Org) -> None:
    created = await create(org, title="Scratch", metrics=[{"name": "Leads"}])
    response = await org.client.delete(f"{BASE}/{created['id']}", headers=org.admin.headers)
    assert response.status_code == 204
    missing = await org.client.get(f"{BASE}/{created['id']}", headers=org.admin.headers)
    assert missing.status_code == 404


async def test_members_read_published_ones_and_cannot_write(org: Org, other_org: Org) -> None:
    draft = await create(org, title="Draft")
    public = await create(org, title="Public")
    await org.client.post(f"{BASE}/{public['id']}/publish", headers=org.admin.headers)
    member = await org.member()

    listed = await org.client.get(BASE, headers=member.headers)
    assert [p["id"] for p in listed.json()] == [public["id"]]
    drafts = await org.client.get(BASE, params={"status": "draft"}, headers=member.headers)
    assert drafts.json() == []
    assert (
        await org.client.get(f"{BASE}/{draft['id']}", headers=member.headers)
    ).status_code == 404
    assert (
        await org.client.get(f"{BASE}/{public['id']}", headers=member.headers)
    ).status_code == 200

    writes = [
        org.client.post(BASE, json={"title": "Mine"}, headers=member.headers),
        org.client.patch(f"{BASE}/{public['id']}", json={"title": "X"}, headers=member.headers),
        org.client.post(f"{BASE}/{draft['id']}/publish", headers=member.headers),
        org.client.delete(f"{BASE}/{draft['id']}", headers=member.headers),
        org.client.post(GENERATE, json={}, headers=member.headers),
    ]
    for call in writes:
        response = await call
        assert response.status_code == 403, response.text
    assert (await get(org, public["id"]))["title"] == "Public"

    # Another tenant's admin sees none of it.
    foreign = await other_org.client.get(f"{BASE}/{public['id']}", headers=other_org.admin.headers)
    assert foreign.status_code == 404
    assert (await other_org.client.get(BASE, headers=other_org.admin.headers)).json() == []

    # The manage_portfolios permission is enough to write.
    manager = await org.member(
        permissions=[Permission.ACCESS_GAMIFICATION.value, Permission.MANAGE_PORTFOLIOS.value]
    )
    made = await org.client.post(BASE, json={"title": "By a manager"}, headers=manager.headers)
    assert made.status_code == 201, made.text
    assert (
        await org.client.get(f"{BASE}/{draft['id']}", headers=manager.headers)
    ).status_code == 200

    # Without access to gamification, not even reading.
    outsider = await org.member(permissions=[])
    assert (await org.client.get(BASE, headers=outsider.headers)).status_code == 403


# -- the generator ----------------------------------------------------------------------


async def _approved_conversion(org: Org, referrer: uuid.UUID, when: datetime) -> None:
    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        program = ReferralProgram(tenant_id=org.id, name="P", platform="bizoholic", status="active")
        db.add(program)
        await db.flush()
        code = ReferralCode(
            tenant_id=org.id, program_id=program.id, user_id=referrer, code=uuid.uuid4().hex[:8]
        )
        db.add(code)
        await db.flush()
        db.add(
            ReferralConversion(
                tenant_id=org.id,
                program_id=program.id,
                code_id=code.id,
                referrer_id=referrer,
                referee_id=uuid.uuid4(),
                status="approved",
                converted_at=when,
            )
        )


async def _unlocks(org: Org, user_id: uuid.UUID | None, since: datetime) -> int:
    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        query = select(func.count()).where(
            TenantAchievement.tenant_id == org.id, TenantAchievement.unlocked_at >= since
        )
        if user_id is not None:
            query = query.where(TenantAchievement.user_id == user_id)
        return int((await db.execute(query)).scalar_one())


def _after_start() -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1) - timedelta(days=90)


async def test_generate_writes_a_deterministic_draft_from_the_tenants_data(org: Org) -> None:
    key = await org.api_key()
    seller = await joined(org)
    other = await joined(org)
    await send(
        org,
        key,
        [
            {**event(seller, "order.completed", total=100), **at(120)},
            {**event(seller, "order.completed", total=40.5), **at(2)},
            {**event(other, "order.completed", total="59.50"), **at(1)},
            {**event(other, "order.completed", total="n/a"), **at(1)},
            {**event(seller, "campaign.launched"), **at(1)},
            {**event(seller, "lead.captured"), **at(200)},  # older than both periods
            {**event(other, "lead.captured"), **at(100)},
            {**event(other, "lead.captured")},
        ],
    )
    await _approved_conversion(org, seller.id, datetime.now(UTC) - timedelta(days=3))
    unlocked_after = await _unlocks(org, None, _after_start())
    unlocked_all = await _unlocks(org, None, _after_start() - timedelta(days=90))

    first = await generate(org)
    assert first["status"] == "draft"
    assert first["user_id"] is None
    assert metrics(first) == {
        "Revenue": (100.0, 100.0),
        "Orders": (1.0, 3.0),
        "Leads captured": (1.0, 1.0),
        "Campaigns launched": (0.0, 1.0),
        "Referral conversions": (0.0, 1.0),
        "Achievements unlocked": (float(unlocked_all - unlocked_after), float(unlocked_after)),
    }
    assert unlocked_after >= 1  # first_campaign at least
    assert "completed 3 orders worth 100.00" in first["summary"]
    assert "launched 1 campaigns" in first["summary"]
    assert "Orders: 1 → 3 (+200%)" in first["results"]
    assert "Campaigns launched: 0 → 1 (new)" in first["results"]
    assert first["title"].startswith("How Our business grew orders by 200%")
    assert len(first["seo_title"]) <= 70 and len(first["seo_description"]) <= 160
    assert len(first["share_text"]) <= 500

    # The same data gives the same text; only the slug (unique) differs.
    second = await generate(org)
    assert {f: second[f] for f in TEXT_FIELDS} == {f: first[f] for f in TEXT_FIELDS}
    assert second["metrics"] == first["metrics"]
    assert second["slug"] != first["slug"]
    assert second["slug"].startswith(first["slug"])

    titled = await generate(org, title="A chosen title")
    assert titled["title"] == titled["seo_title"] == "A chosen title"
    assert titled["slug"] == "a-chosen-title"
    assert titled["summary"] == first["summary"]


async def test_generate_for_a_member_counts_theirs_and_becomes_their_portfolio(
    org: Org, other_org: Org
) -> None:
    key = await org.api_key()
    seller = await joined(org)
    other = await joined(org)
    await send(
        org,
        key,
        [
            {**event(seller, "order.completed", total=10), **at(1)},
            {**event(other, "order.completed", total=99), **at(1)},
            {**event(other, "campaign.launched"), **at(1)},
        ],
    )
    created = await generate(org, user_id=str(seller.id))
    assert created["user_id"] == str(seller.id)
    assert metrics(created)["Orders"] == (0.0, 1.0)
    assert metrics(created)["Revenue"] == (0.0, 10.0)
    assert metrics(created)["Campaigns launched"] == (0.0, 0.0)
    assert "went from zero to 10.00 revenue" in created["title"]

    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        row = await db.get(Member, (org.id, seller.id))
        assert row is not None and str(row.portfolio_id) == created["id"]
    claims = await org.app.state.services.claims.read(seller.id)
    assert claims["portfolio_id"] == created["id"]

    # Someone of another tenant, or no one: nothing is written.
    stranger = await other_org.member()
    for user_id in (stranger.id, uuid.uuid4()):
        response = await org.client.post(
            GENERATE, json={"user_id": str(user_id)}, headers=org.admin.headers
        )
        assert response.status_code == 404
    listed = await org.client.get(BASE, headers=org.admin.headers)
    assert [p["id"] for p in listed.json()] == [created["id"]]

    # Deleting the draft takes it off the member's token.
    await org.client.delete(f"{BASE}/{created['id']}", headers=org.admin.headers)
    claims = await org.app.state.services.claims.read(seller.id)
    assert claims["portfolio_id"] is None

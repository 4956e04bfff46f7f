"""The set-up wizards in real headless Chromium, on a phone's screen, through the gateway
as `bizosaas up` assembles it: each completed end to end from the keyboard and the
mouse, one left midway and resumed in another browser, a bad value at each step
refused beside its field with what was typed kept, a double submit giving one result,
and another tenant's draft answering 404."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page, expect

from bizosaas.wizards.payments import gateway_path
from tests.gamification.factories import Org, make_org
from tests.payment_providers import STRIPE_SECRET
from tests.web.browsing import CHROMIUM, PHONE, Site, horizontal_overflow, shoot, sign_in
from tests.web.conftest import browser_for, hidden_csrf, session_cookies
from tests.wizards.test_sourcing import FEED

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's /usr/bin/chromium"
)
PUBLISHABLE = "pk_test_" + "Visible1" * 3


async def start(page: Page, site: Site, title: str) -> None:
    await page.goto(site.admin + "/wizards")
    await page.locator("li", has_text=title).get_by_role("button", name="Start").click()


async def save(page: Page) -> None:
    await page.get_by_role("button", name="Save and continue").click()


async def progress(page: Page) -> str:
    return await page.locator(".wizard-progress strong").inner_text()


async def test_the_payment_gateway_wizard_from_start_to_a_live_gateway(
    site: Site, context: BrowserContext, org: Org, wizard_app: FastAPI
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Payment gateway set-up")
    assert await progress(page) == "Step 1 of 3: Provider"
    await save(page)  # nothing chosen
    await expect(page.locator("#provider-error")).to_contain_text("Field required")
    await page.get_by_label("Stripe").check()
    await page.get_by_label("Test (the provider's sandbox)").check()
    await save(page)

    assert await progress(page) == "Step 2 of 3: Credentials"
    await page.get_by_label("Publishable key").fill("pk_live_" + "x" * 20)
    await page.get_by_label("Secret key").fill(STRIPE_SECRET)
    await save(page)
    await expect(page.locator("#publishable_key-error")).to_have_text(
        "This is a live key; the wizard is set up for test."
    )
    await expect(page.get_by_label("Publishable key")).to_have_value("pk_live_" + "x" * 20)
    await expect(page.get_by_label("Secret key")).to_have_value("")  # a secret is never sent back
    assert STRIPE_SECRET not in await page.content()
    await shoot(page, "wizard payments credentials refused")
    await page.get_by_label("Publishable key").fill(PUBLISHABLE)
    await page.get_by_label("Secret key").fill(STRIPE_SECRET)
    await page.get_by_label("Secret key").press("Enter")  # the keyboard submits the step

    assert await progress(page) == "Step 3 of 3: Verify and activate"
    await save(page)
    await expect(page.locator("#activate-error")).to_have_text(
        "Tick the box to activate the gateway."
    )
    await page.get_by_label("Activate this gateway").check()
    await save(page)

    assert await progress(page) == "Review"
    review = page.locator("main")
    await expect(review).to_contain_text("Stripe")
    await expect(review).to_contain_text(PUBLISHABLE)
    await expect(review).to_contain_text("kept in Vault")
    assert STRIPE_SECRET not in await page.content()
    assert await horizontal_overflow(page) <= 0
    await shoot(page, "wizard payments review")
    await page.get_by_role("button", name="Verify and activate").click()

    await expect(page.locator("#outcome-summary")).to_have_text(
        "Stripe is active for test payments."
    )
    await expect(page.locator("dl.shown")).to_contain_text(
        f"/api/v1/ecommerce/webhooks/stripe/{org.id}"
    )
    await expect(page.locator("dl.shown")).to_contain_text("whsec_")
    assert STRIPE_SECRET not in await page.content()
    await shoot(page, "wizard payments activated")
    kept = await wizard_app.state.runtime.secrets.read(gateway_path(org.id, "stripe"))
    assert kept["secret_key"] == STRIPE_SECRET


async def test_a_draft_left_midway_is_resumed_in_another_browser_changed_and_finished(
    site: Site, browser: Browser, org: Org, wizard_app: FastAPI
) -> None:
    first = await browser.new_context(viewport=PHONE)
    page = await first.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Payment gateway set-up")
    await page.get_by_label("Razorpay").check()
    await page.get_by_label("Test (the provider's sandbox)").check()
    await save(page)
    await first.close()  # left at the credentials step

    second = await browser.new_context(viewport=PHONE)
    page = await second.new_page()
    await sign_in(page, site, org.admin.user.email)
    await page.goto(site.admin + "/wizards")
    await expect(page.locator("table")).to_contain_text("1 of 3 steps")
    await page.get_by_role("link", name="Payment gateway set-up").click()
    assert await progress(page) == "Step 2 of 3: Credentials"
    await expect(page.get_by_label("Key ID")).to_be_visible()  # Razorpay's fields

    await page.get_by_role("link", name="Provider").click()  # go back and change it
    await expect(page.get_by_label("Razorpay")).to_be_checked()
    await page.get_by_label("Stripe").check()
    await save(page)
    await expect(page.get_by_label("Publishable key")).to_be_visible()  # Stripe's now
    await page.get_by_label("Publishable key").fill(PUBLISHABLE)
    await page.get_by_label("Secret key").fill(STRIPE_SECRET)
    await save(page)
    await page.get_by_label("Activate this gateway").check()
    await save(page)

    # Two tabs submit the review at once: one gateway, one outcome, shown in both.
    other = await second.new_page()
    await other.goto(page.url)
    await asyncio.gather(
        page.get_by_role("button", name="Verify and activate").click(),
        other.get_by_role("button", name="Verify and activate").click(),
    )
    for tab in (page, other):
        await expect(tab.locator("#outcome-summary")).to_have_text(
            "Stripe is active for test payments."
        )
    secrets = [await t.locator("dl.shown dd").nth(1).inner_text() for t in (page, other)]
    assert secrets[0] == secrets[1]
    found = await wizard_app.state.runtime.secrets.read_versioned(gateway_path(org.id, "stripe"))
    assert found is not None and found[1] == 1
    draft_url = page.url
    await second.close()

    stranger = await make_org(org.auth_app, org.app)
    async with stranger.client:
        third = await browser.new_context(viewport=PHONE)
        page = await third.new_page()
        await sign_in(page, site, stranger.admin.user.email)
        answer = await page.goto(draft_url)
        assert answer is not None and answer.status == 404
        await third.close()


async def test_onboarding_from_the_organisation_to_a_set_up_tenant(
    site: Site, context: BrowserContext, org: Org
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Onboarding")
    assert await progress(page) == "Step 1 of 4: Organisation"
    await page.get_by_label("Organisation name").fill("Tidewater Bakery")
    await page.get_by_label("Retail and e-commerce").check()
    await page.get_by_label("Timezone").fill("Atlantis/Deep")
    await save(page)
    await expect(page.locator("#timezone-error")).to_contain_text("Unknown timezone")
    await expect(page.get_by_label("Organisation name")).to_have_value("Tidewater Bakery")
    await page.get_by_label("Timezone").fill("Europe/Dublin")
    await save(page)

    assert await progress(page) == "Step 2 of 4: Platforms"
    await expect(page.get_by_label("Bizoholic (marketing)")).to_be_checked()  # proposed
    await page.get_by_label("Bizoholic (marketing)").uncheck()
    await save(page)
    await expect(page.locator("#platforms-error")).to_be_visible()
    await page.get_by_label("CoreLDove (e-commerce)").check()
    await save(page)

    assert await progress(page) == "Step 3 of 4: Invite the team"
    first_row = page.get_by_role("group", name="Invite your team 1")
    await first_row.get_by_label("Email").fill("not an email")
    await save(page)
    await expect(page.locator("[id='invites.0.email-error']")).to_be_visible()
    await first_row.get_by_label("Email").fill(f"baker-{org.id.hex[:8]}@example.com")
    await first_row.get_by_label("Admin").check()
    await shoot(page, "wizard onboarding team")
    await save(page)

    assert await progress(page) == "Step 4 of 4: Gamification starter"
    await page.get_by_label("Store").uncheck()
    await page.get_by_label("Main leaderboard").fill("Bakers of the week")
    await page.get_by_label("Weekly").check()
    await save(page)

    assert await progress(page) == "Review"
    await expect(page.locator("main")).to_contain_text("Tidewater Bakery")
    await expect(page.locator("main")).to_contain_text("Bakers of the week")
    assert await horizontal_overflow(page) <= 0
    await shoot(page, "wizard onboarding review")
    await page.get_by_role("button", name="Set it all up").click()
    await expect(page.locator("#outcome-summary")).to_have_text("Tidewater Bakery is set up.")
    await shoot(page, "wizard onboarding done")
    await page.get_by_role("link", name="The main leaderboard").click()
    await expect(page.locator("h1")).to_contain_text("Bakers of the week")


async def test_a_contest_built_in_the_campaign_builder_shows_its_results(
    site: Site, context: BrowserContext, org: Org
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Campaign builder")
    await page.get_by_label("Campaign name").fill("Winter sales sprint")
    await page.get_by_label("Leaderboard contest").check()
    await page.get_by_label("Goal").fill("20")
    await save(page)
    await page.get_by_label("CoreLDove").check()
    await save(page)
    assert await progress(page) == "Step 3 of 4: Rewards and rules"
    await page.get_by_label("What members do").fill("order completed")  # not an event type
    await save(page)
    await expect(page.locator("#event_type-error")).to_be_visible()
    await page.get_by_label("What members do").fill("order.completed")
    await page.get_by_label("Add up").fill("total")
    await page.get_by_label("Prize").fill("A hamper for the top three")
    await save(page)
    await page.get_by_label("Starts").fill("2026-01-01T09:00")
    await page.get_by_label("Ends").fill("2025-12-01T09:00")
    await save(page)
    await expect(page.locator(".alert-error")).to_contain_text("end after it starts")
    await page.get_by_label("Ends").fill("2031-12-01T09:00")
    await save(page)
    await expect(page.locator("main")).to_contain_text("Winter sales sprint")
    await page.get_by_role("button", name="Launch the campaign").click()
    await expect(page.locator("#outcome-summary")).to_contain_text("is launched")
    await expect(page.locator(".goal")).to_contain_text("0 of 20 members taking part")
    await shoot(page, "wizard campaign launched")


async def test_product_sourcing_reads_an_uploaded_feed_and_keeps_the_products(
    site: Site, context: BrowserContext, org: Org
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Product sourcing")
    await page.get_by_label("Niche").fill("Zero-waste kitchen")
    await page.get_by_label("Home and garden").check()
    await save(page)
    await page.get_by_label("Euros").check()
    await page.get_by_label("Lowest supplier price").fill("5")
    await page.get_by_label("Highest supplier price").fill("50")
    await page.get_by_label("Target margin (%)").fill("40")
    await save(page)

    feed = page.get_by_label("Supplier feed")
    bad = FEED + "CUP-5,Cup,free,EU,,\n"
    await feed.set_input_files(
        [{"name": "feed.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    await save(page)
    await expect(page.locator("#feed-error")).to_contain_text("Row 6: supplier_price")
    await shoot(page, "wizard sourcing feed refused")
    await feed.set_input_files(
        [{"name": "feed.csv", "mimeType": "text/csv", "buffer": FEED.encode()}]
    )
    await save(page)

    assert await progress(page) == "Step 4 of 4: Pricing"
    mug = page.get_by_label("Bamboo mug (MUG-1): cost 12.00, price 20.99 EUR")
    await expect(mug).to_be_checked()
    await page.get_by_label("Glass jar (JAR-4)", exact=False).uncheck()
    await save(page)
    await page.get_by_role("button", name="Send to my store").click()
    await expect(page.locator("#outcome-summary")).to_have_text(
        "1 products are ready, kept here to send to your store."
    )
    await expect(page.get_by_role("button", name="Send now")).to_be_visible()
    await shoot(page, "wizard sourcing waiting")


async def test_a_social_campaign_with_the_agents_posts(
    site: Site, context: BrowserContext, org: Org
) -> None:
    member = await org.member()
    created = await org.client.post(
        "/api/v1/gamification/portfolios",
        json={"title": "Tidewater's busiest winter", "user_id": str(member.id), "summary": "Up."},
        headers=org.admin.headers,
    )
    showcase = created.json()["id"]
    await org.client.post(
        f"/api/v1/gamification/portfolios/{showcase}/publish", headers=org.admin.headers
    )
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await start(page, site, "Social media campaign")
    await page.get_by_label("X (Twitter)").check()
    await page.get_by_label("LinkedIn").check()
    await save(page)
    await page.get_by_label("What to promote").select_option(f"showcase:{showcase}")
    await save(page)
    assert await progress(page) == "Step 3 of 4: Posts"
    await page.get_by_role("button", name="Write it for me").click()
    await expect(page.get_by_label("Post on X (Twitter)")).to_contain_text("Tidewater")
    await save(page)
    await page.get_by_label("Publish at").fill("2031-05-01T10:00")
    await save(page)
    await expect(page.locator("main")).to_contain_text("Showcases: Tidewater's busiest winter")
    await page.get_by_role("button", name="Schedule the posts").click()
    await expect(page.locator("#outcome-summary")).to_contain_text("2 posts are scheduled")
    await expect(page.get_by_role("link", name="Share on X (Twitter)")).to_have_attribute(
        "href", re.compile(r"^https://twitter\.com/intent/tweet\?text=")
    )
    await shoot(page, "wizard social scheduled")


async def test_a_feed_over_the_size_limit_is_refused_beside_its_field(
    org: Org, auth_app: FastAPI, admin_app: FastAPI
) -> None:
    api = "/api/v1/wizards"
    started = await org.client.post(f"{api}/product-sourcing/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    for step, answer in (
        ("niche", {"niche": "Kitchen", "category": "home"}),
        ("criteria", {"min_cost": 1, "max_cost": 50}),
    ):
        saved = await org.client.put(
            f"{api}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )
        assert saved.status_code == 200, saved.text
    cookies = await session_cookies(auth_app, org.admin.user.email)
    async with browser_for(admin_app, cookies) as browser:
        page = await browser.get(f"/admin/wizards/drafts/{draft}?step=candidates")
        big = FEED + "".join(f"X-{i},Filler,1.00,EU\n" for i in range(40_000))
        refused = await browser.post(
            f"/admin/wizards/drafts/{draft}/steps/candidates",
            data={"csrf_token": hidden_csrf(page.text), "format": "csv"},
            files={"feed": ("feed.csv", big.encode(), "text/csv")},
        )
    assert refused.status_code == 400
    assert "The file is larger than 900 kB." in refused.text
    kept = await org.client.get(f"{api}/drafts/{draft}", headers=org.admin.headers)
    assert "candidates" not in kept.json()["answers"]

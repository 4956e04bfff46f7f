"""Each role's journey in real headless Chromium, through the gateway as `bizosaas up`
assembles it: a member on a phone sees an unlock arrive without reloading; a tenant admin
approves a held conversion; every page fits a phone and is usable from the keyboard.
Screenshots of each step are kept in the artefacts directory (see browsing.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, expect

from tests.gamification.factories import Org, event, make_org
from tests.gamification.test_referrals import code_of, doubtful, make_program, person, referee
from tests.web.browsing import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    Site,
    horizontal_overflow,
    shoot,
    sign_in,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's /usr/bin/chromium"
)
ADMIN_PAGES = (
    "",
    "/achievements",
    "/achievements/new",
    "/leaderboards",
    "/leaderboards/new",
    "/referrals",
    "/referrals/programs/new",
    "/referrals/review",
    "/rewards",
    "/showcases",
    "/people",
    "/people/audit",
    "/keys",
    "/wizards",
)
PORTAL_PAGES = ("", "/referrals", "/achievements", "/leaderboards", "/showcases", "/notifications")


async def test_a_member_on_a_phone_sees_an_unlock_arrive_without_reloading(
    site: Site, context: BrowserContext, org: Org, policy_violations: list[str]
) -> None:
    member = await org.member(full_name="Mia Mobile")
    key = await org.api_key()
    page = await context.new_page()
    await sign_in(page, site, member.user.email)
    await page.goto(site.portal + "/achievements")
    await expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    await page.evaluate("window.stillTheSamePage = true")

    await org.send([event(member, "campaign.launched")], key)  # from the tenant's server
    toast = page.locator("#toasts .toast")
    await expect(toast).to_contain_text("First campaign", timeout=15_000)
    await expect(page.locator("#unread-badge")).to_have_text("1")
    assert await page.evaluate("window.stillTheSamePage") is True  # no reload
    await shoot(page, "member phone live unlock")
    assert await horizontal_overflow(page) <= 0
    assert policy_violations == []


async def test_a_tenant_admin_approves_a_held_conversion_in_the_browser(
    site: Site, browser: Browser, org: Org
) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    newcomer = await referee(org)
    held = await doubtful(org, await org.api_key(), code, newcomer)
    desktop = await browser.new_context(viewport=DESKTOP)
    try:
        page = await desktop.new_page()
        await sign_in(page, site, org.admin.user.email)
        await page.get_by_role("link", name="Referrals", exact=True).click()
        await page.get_by_role("link", name="Review queue").click()
        await page.get_by_text("Why it was held").click()
        await expect(page.get_by_text(held["risk_reasons"][0]["detail"])).to_be_visible()
        # Both people are named, and each name leads to their page.
        await expect(page.get_by_role("link", name="Alice Archer")).to_have_count(1)
        await expect(page.get_by_role("link", name=newcomer.user.full_name)).to_have_count(1)
        await page.get_by_role("checkbox").check()
        await page.get_by_label("Approve (pays the rewards)").check()
        await page.get_by_label("Note").fill("Siblings on the family tablet: checked by phone.")
        await shoot(page, "admin desktop review queue")
        await page.get_by_role("button", name="Apply").click()
        await expect(page.get_by_text("The review queue is updated.")).to_be_visible()
        await expect(page.get_by_text("no conversion is waiting for review")).to_be_visible()
    finally:
        await desktop.close()
    approved = await org.client.get(
        "/api/v1/gamification/referrals/review",
        params={"status": "approved"},
        headers=org.admin.headers,
    )
    (now,) = approved.json()["conversions"]
    assert now["id"] == held["id"]
    assert now["review_note"] == "Siblings on the family tablet: checked by phone."


async def test_every_page_fits_a_phone_and_works_from_the_keyboard(
    site: Site, context: BrowserContext, org: Org, policy_violations: list[str]
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    # The keyboard: the first Tab reaches the skip link, which moves focus to the content;
    # every focused control shows a visible outline.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    assert await skip.evaluate("e => e.getBoundingClientRect().left >= 0")  # shown when focused
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    outline = await page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' '"
        " + getComputedStyle(document.activeElement).outlineWidth"
    )
    assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
    for path in ADMIN_PAGES:
        await page.goto(site.admin + path)
        assert await horizontal_overflow(page) <= 0, path
        await shoot(page, f"admin phone {path or 'overview'}")
    member = await org.member(full_name="Pat Phone")
    await context.clear_cookies()
    await sign_in(page, site, member.user.email)
    for path in PORTAL_PAGES:
        await page.goto(site.portal + path)
        assert await horizontal_overflow(page) <= 0, path
        assert await page.get_by_role("main").count() == 1, path  # a landmark to jump to
        await shoot(page, f"portal phone {path or 'home'}")
    assert policy_violations == []


async def test_a_shared_link_brings_a_newcomer_and_the_referrer_sees_it_live(
    site: Site, browser: Browser, auth_app: FastAPI, gamification_app: FastAPI
) -> None:
    org = await make_org(auth_app, gamification_app, self_signup=True)
    async with org.client:
        await make_program(org, qualifying_event="signup", share_message="Acme saves me hours")
        alice = await person(org, "Alice Archer")
    referrer = await browser.new_context(viewport=PHONE)
    newcomer = await browser.new_context(viewport=DESKTOP)
    try:
        await referrer.grant_permissions(["clipboard-read", "clipboard-write"])
        page = await referrer.new_page()
        await sign_in(page, site, alice.user.email)
        await page.goto(site.portal + "/referrals")
        await page.get_by_role("button", name="Get my referral link").click()
        link = await page.get_by_role("textbox", name="Your link").input_value()
        await page.get_by_role("button", name="Copy").click()
        await expect(page.locator("#toasts")).to_contain_text("Copied")
        assert await page.evaluate("navigator.clipboard.readText()") == link
        await expect(page.locator("body[data-live-state=open]")).to_have_count(1)
        await page.evaluate("window.stillTheSamePage = true")
        converted_count = page.locator("dt:text-is('Converted') + dd")
        await expect(converted_count).to_have_text("0")

        visitor = await newcomer.new_page()
        await visitor.goto(link)
        await expect(visitor.get_by_text("Alice invited you")).to_be_visible()
        await visitor.get_by_label("Your name").fill("Bruno Newcomer")
        await visitor.get_by_label("Email").fill(f"bruno.{org.tenant.slug}@example.com")
        await visitor.get_by_label("New password").fill("Velvet-Harbor-Compass-58")
        await visitor.get_by_role("button", name="Create my account").click()
        await expect(visitor.get_by_text("Welcome aboard")).to_be_visible()
        await shoot(visitor, "newcomer signed up")

        await expect(converted_count).to_have_text("1", timeout=20_000)  # without reloading
        await expect(page.locator("dt:text-is('Available points') + dd")).to_have_text("10")
        assert await page.evaluate("window.stillTheSamePage") is True
        await shoot(page, "referrer phone conversion live")
    finally:
        await referrer.close()
        await newcomer.close()


async def test_an_admin_designs_an_achievement_and_a_member_earns_it_live(
    site: Site, browser: Browser, org: Org
) -> None:
    veteran = await org.member(full_name="Vera Veteran")
    key = await org.api_key()
    await org.send([event(veteran, "webinar.hosted") for _ in range(2)], key)
    await org.settle()
    admin = await browser.new_context(viewport=DESKTOP)
    member_context = await browser.new_context(viewport=PHONE)
    try:
        page = await admin.new_page()
        await sign_in(page, site, org.admin.user.email)
        await page.goto(site.admin + "/achievements/new")
        await page.get_by_label("Key").fill("webinar_host")
        await page.get_by_label("Name", exact=True).fill("Webinar host")
        await page.get_by_label("Event type").fill("webinar.hosted")
        await page.get_by_label("Threshold").first.fill("2")
        await page.get_by_label("Points").first.fill("15")
        await page.get_by_role("button", name="Preview").click()
        await expect(page.locator("#preview")).to_contain_text("1 member would unlock it now")
        await shoot(page, "admin desktop designer preview")
        await page.get_by_role("button", name="Create achievement").click()
        await expect(page.get_by_role("link", name="Webinar host")).to_be_visible()

        newcomer = await org.member(full_name="Nia New")
        mine = await member_context.new_page()
        await sign_in(mine, site, newcomer.user.email)
        await mine.goto(site.portal + "/achievements")
        await expect(mine.locator("body[data-live-state=open]")).to_have_count(1)
        await org.send([event(newcomer, "webinar.hosted") for _ in range(2)], key)
        await expect(mine.locator("#toasts")).to_contain_text("Webinar host", timeout=15_000)
        await shoot(mine, "member phone earns a designed achievement")
    finally:
        await admin.close()
        await member_context.close()


async def test_a_tenant_admin_is_refused_by_sqladmin(
    site: Site, context: BrowserContext, org: Org
) -> None:
    page = await context.new_page()
    await sign_in(page, site, org.admin.user.email)
    await page.goto(site.sqladmin)
    await expect(page.get_by_text("This page is for the super administrator role.")).to_be_visible()
    await expect(page.get_by_role("link", name="admin dashboard")).to_be_visible()

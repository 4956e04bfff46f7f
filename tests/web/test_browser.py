"""The web apps in real headless Chromium, over real HTTP, through the platform's gateway
(assembled as `bizosaas up` assembles it, every guard on)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, create_tenant, create_user
from tests.web.browsing import CHROMIUM, PHONE, Site, horizontal_overflow, sign_in

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's /usr/bin/chromium"
)


async def test_a_user_signs_in_and_lands_on_the_portal(
    site: Site, context: BrowserContext, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    page = await context.new_page()
    await sign_in(page, site, user.email)
    assert page.url == site.portal
    assert await page.get_by_role("heading", name="Welcome back").is_visible()
    assert await page.get_by_role("navigation", name="Client portal").is_visible()
    assert await horizontal_overflow(page) <= 0


async def test_a_tenant_admin_lands_on_the_admin_dashboard(
    site: Site, context: BrowserContext, auth_app: FastAPI
):
    boss = await create_user(auth_app, await create_tenant(auth_app), Role.TENANT_ADMIN)
    page = await context.new_page()
    await sign_in(page, site, boss.email)
    assert page.url == site.admin
    assert await page.get_by_role("heading", name="Overview").is_visible()


async def test_the_dashboards_tables_scroll_inside_the_page_on_a_phone(
    site: Site, context: BrowserContext, auth_app: FastAPI
):
    boss = await create_user(auth_app, await create_tenant(auth_app), Role.TENANT_ADMIN)
    page = await context.new_page()
    await sign_in(page, site, boss.email)
    await page.goto(site.admin + "/leaderboards/new")  # a new tenant has no board yet
    await page.get_by_label("Key").fill("points")
    await page.get_by_label("Name", exact=True).fill("Points this week")
    await page.get_by_role("button", name="Create leaderboard").click()
    await page.wait_for_url(site.admin + "/leaderboards?done=saved")
    for path in ("/achievements", "/leaderboards", "/people"):
        await page.goto(site.admin + path)
        assert await page.locator(".table-wrap").count() > 0, path
        assert await horizontal_overflow(page) <= 0, path


async def test_an_anonymous_visit_returns_to_the_page_after_sign_in(
    site: Site, context: BrowserContext, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    page = await context.new_page()
    await page.goto(site.portal)
    assert page.url.startswith(site.login + "?next=")
    await page.get_by_label("Email").fill(user.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(site.portal)


async def test_a_wrong_password_shows_an_inline_error(
    site: Site, context: BrowserContext, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    page = await context.new_page()
    await sign_in(page, site, user.email, "Not-The-Password-42")
    assert page.url.startswith(site.login)
    alert = page.get_by_role("alert")
    assert await alert.is_visible()
    assert await alert.inner_text() == "Incorrect email or password."
    assert await page.get_by_label("Email").input_value() == user.email
    assert await horizontal_overflow(page) <= 0


async def test_the_login_screen_fits_a_phone(
    site: Site, context: BrowserContext, policy_violations: list[str], tmp_path: Path
):
    page = await context.new_page()
    await page.goto(site.login)
    assert await horizontal_overflow(page) <= 0
    # The stylesheet is the app's own file: were it blocked, the button would be grey.
    colour = await page.evaluate("getComputedStyle(document.querySelector('button')).color")
    assert colour == "rgb(255, 255, 255)"
    assert policy_violations == []
    box = await page.get_by_role("button", name="Sign in").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 44  # a comfortable touch target
    shot = tmp_path / "login-375.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


async def test_without_javascript_sign_in_and_sign_out_work(
    site: Site, browser: Browser, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    ctx = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = await ctx.new_page()
        await sign_in(page, site, user.email)
        assert page.url == site.portal
        assert await page.get_by_role("heading", name="Welcome back").is_visible()
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_load_state()
        assert page.url == site.login + "?logged_out=1"
        assert await page.get_by_text("You have signed out.").is_visible()
        await page.goto(site.portal)
        assert page.url.startswith(site.login + "?next=")
    finally:
        await ctx.close()


async def test_the_super_admin_lands_on_a_working_sqladmin(
    site: Site, context: BrowserContext, policy_violations: list[str], auth_app: FastAPI
):
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    page = await context.new_page()
    await sign_in(page, site, root.email)
    assert page.url == site.sqladmin
    await page.goto(site.sqladmin + f"user/list?search={root.email}")
    assert await page.get_by_role("cell", name=root.email).is_visible()
    # SQLAdmin's own scripts and styles run under its policy (the page is styled).
    font = await page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Inter" in font or "apple-system" in font
    assert policy_violations == []

"""Driving the web apps in real headless Chromium (Debian's, through Playwright; no browser
downloads): where the browser is, the platform's one origin, signing in, and measuring
and photographing a page. The fixtures that start the browser are in conftest.py."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
# Screenshots of the journeys, kept as the run's artefacts (not compared: people look).
SCREENSHOTS = Path(os.environ.get("BIZOSAAS_SCREENSHOTS", "build/screenshots"))


@dataclass(frozen=True)
class Site:
    login: str
    portal: str
    admin: str
    sqladmin: str


async def sign_in(page: Page, site: Site, email: str, password: str = PASSWORD) -> None:
    await page.goto(site.login)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def horizontal_overflow(page: Page) -> int:
    """How far the page is wider than its viewport (0 or less: it fits)."""
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width - page.viewport_size["width"] if page.viewport_size else width


async def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot in the artefacts directory."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".png")
    await page.screenshot(path=str(path), full_page=True)
    return path

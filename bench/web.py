"""Web apps benchmark: pages under load, what a page weighs, and an unlock's trip to a toast.

The whole platform runs as ``bizosaas up`` assembles it (every service on its own port,
every page and API call through the Brain Gateway), in this process, with the demo
tenants seeded; PostgreSQL, Valkey and OpenBao come from ``bizosaas.stack`` (or the same
``BIZOSAAS_TEST_*`` variables as the tests). The demo tenants' hourly limit is raised so
the run measures pages, not the rate limiter::

    .venv/bin/python bench/web.py            # about a minute
    .venv/bin/python bench/web.py --quick    # smoke run

Figures: (1) 10 signed-in visitors (8 members, 2 tenant admins, in a process of their
own) opening the portal's and the dashboard's pages in a loop, first as people browse (a
second between pages), then flat out: pages per second and each page's p50/p95; (2) each
page's bytes on the wire, gzip-compressed as served, alone and on a first visit with the
front-end files it loads; (3) the delay from a tenant's server posting an
event to the toast it raises in real headless Chromium (a new member per trial, each
unlocking "First campaign"), p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import platform
import re
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from playwright.async_api import Browser, async_playwright

from bench._auth_load import percentile
from bench._harness import bench_run, finished, progress
from bench._platform import (
    PASSWORD,
    Member,
    bearer_token,
    demo_login,
    new_members,
    running_platform,
)
from bench._web_load import run_load
from bizosaas.core.settings import Settings
from bizosaas.stack.isolated import Servers, isolated_servers

CHROMIUM = Path("/usr/bin/chromium")
HAS_CHROMIUM = CHROMIUM.exists()
MEMBER_PAGES = [
    "/portal",
    "/portal/referrals",
    "/portal/achievements",
    "/portal/leaderboards",
    "/portal/showcases",
    "/portal/notifications",
]
ADMIN_PAGES = ["/admin", "/admin/people", "/admin/rewards", "/admin/referrals/review"]
PAGE_P95_TARGET_MS = 150.0
PAGE_WEIGHT_TARGET_KB = 200.0
TOAST_P95_TARGET_S = 1.0
THINK_S = 1.0  # a person reads a page before opening the next


async def sign_in(session: aiohttp.ClientSession, email: str, password: str) -> dict[str, str]:
    async with session.post(
        "/api/v1/auth/login", data={"email": email, "password": password}
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"sign-in of {email} failed: {response.status}")
        return {name: morsel.value for name, morsel in response.cookies.items()}


async def page_load(origin: str, seconds: float) -> list[str]:
    members = ["alice@acme-corp.example", "bob@acme-corp.example"]
    members += ["carol@globex.example", "dave@globex.example"]
    admins = ["admin@acme-corp.example", "admin@globex.example"]
    visitors: list[tuple[dict[str, str], list[str]]] = []
    async with aiohttp.ClientSession(origin) as session:
        for email in members * 2:
            visitors.append((await sign_in(session, *demo_login(email)), MEMBER_PAGES))
        for email in admins:
            visitors.append((await sign_in(session, *demo_login(email)), ADMIN_PAGES))
    lines = []
    for think, label in ((THINK_S, f"browsing, {THINK_S:g} s between pages"), (0.0, "flat out")):
        progress(f"10 visitors {label}, for {seconds:.0f} s")
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(1) as pool:
            timings, failures = await asyncio.to_thread(
                pool.apply, run_load, (origin, visitors, seconds, think)
            )
        lines += _load_lines(f"10 visitors {label}", timings, failures, seconds)
    return lines


def _load_lines(
    label: str, timings: dict[str, list[float]], failures: list[str], seconds: float
) -> list[str]:
    total = sum(len(t) for t in timings.values())
    every = sorted(x for t in timings.values() for x in t)
    lines = [
        f"{label} ({seconds:.0f} s): {total / seconds:.1f} pages/s,"
        f" p50 {percentile(every, 50) * 1000:.0f} ms, p95 {percentile(every, 95) * 1000:.0f} ms"
        f" (target p95 <= {PAGE_P95_TARGET_MS:.0f} ms), {len(failures)} failed"
        + (f" (first: {failures[0]})" if failures else "")
    ]
    for path in MEMBER_PAGES + ADMIN_PAGES:
        found = sorted(timings.get(path, []))
        if found:
            lines.append(
                f"  {path:<26} n={len(found):>5}  p50 {percentile(found, 50) * 1000:6.1f} ms"
                f"  p95 {percentile(found, 95) * 1000:6.1f} ms"
            )
    return lines


async def page_weight(origin: str) -> list[str]:
    """Bytes on the wire as a browser receives them (gzip), and unpacked: each page alone,
    and on a first visit with the front-end files it loads (cached after that)."""
    lines = ["page weight (gzip on the wire / unpacked; first visit with its files):"]
    heaviest = 0
    for email, pages in (
        ("alice@acme-corp.example", MEMBER_PAGES),
        ("admin@acme-corp.example", ADMIN_PAGES),
    ):
        async with aiohttp.ClientSession(origin, auto_decompress=False) as session:
            session.cookie_jar.update_cookies(await sign_in(session, *demo_login(email)))
            files: dict[str, int] = {}
            for path in pages:
                wire, unpacked, html = await weigh(session, path)
                first = wire
                for asset in set(re.findall(r'(?:src|href)="(/[a-z]+/static/[^"]+)"', html)):
                    if asset not in files:
                        files[asset] = (await weigh(session, asset))[0]
                    first += files[asset]
                heaviest = max(heaviest, first)
                lines.append(
                    f"  {path:<26} {wire / 1024:6.1f} KiB / {unpacked / 1024:6.1f} KiB;"
                    f" first visit {first / 1024:6.1f} KiB"
                )
    lines.append(
        f"  heaviest first visit: {heaviest / 1024:.1f} KiB"
        f" (target <= {PAGE_WEIGHT_TARGET_KB:.0f} KB)"
    )
    return lines


async def weigh(session: aiohttp.ClientSession, path: str) -> tuple[int, int, str]:
    async with session.get(path, headers={"Accept-Encoding": "gzip"}) as response:
        raw = await response.read()
        packed = response.headers.get("Content-Encoding") == "gzip"
    body = gzip.decompress(raw) if packed else raw
    return len(raw), len(body), body.decode(errors="replace")


async def toast_delay(settings: Settings, origin: str, trials: int) -> list[str]:
    """A tenant's server posts an event; a member's open page shows the toast it raises."""
    if not HAS_CHROMIUM:
        return ["event to toast: skipped (no /usr/bin/chromium)"]
    async with aiohttp.ClientSession(origin) as session:
        token = await bearer_token(session, *demo_login("admin@acme-corp.example"))
        members = await new_members(session, token, trials, "toast")
        async with session.post(
            "/api/v1/gamification/api-keys",
            json={"name": f"bench-{uuid.uuid4().hex[:6]}"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            key = (await response.json())["key"]
        delays: list[float] = []
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                for i, member in enumerate(members):
                    progress(f"event to toast, trial {i + 1} of {trials}")
                    delays.append(
                        await _one_toast(browser, session, settings.public_url, member, key)
                    )
            finally:
                await browser.close()
    delays.sort()
    return [
        f"event to toast in Chromium ({trials} trials): p50 {percentile(delays, 50) * 1000:.0f} ms,"
        f" p95 {percentile(delays, 95) * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
        f" (target p95 < {TOAST_P95_TARGET_S:.0f} s)"
    ]


async def _one_toast(
    browser: Browser, session: aiohttp.ClientSession, origin: str, member: Member, key: str
) -> float:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(origin + "/login")
        await page.get_by_label("Email").fill(member.email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/portal")
        await page.wait_for_selector("body[data-live-state=open]")
        started = time.perf_counter()
        async with session.post(
            "/api/v1/gamification/events",
            json={
                "events": [
                    {
                        "event_id": f"toast-{uuid.uuid4().hex}",
                        "type": "campaign.launched",
                        "user_id": member.user_id,
                    }
                ]
            },
            headers={"X-API-Key": key},
        ) as response:
            response.raise_for_status()
        await page.wait_for_selector("#toasts .toast", timeout=30_000)
        return time.perf_counter() - started
    finally:
        await context.close()


async def run(options: argparse.Namespace, servers: Servers) -> list[str]:
    async with running_platform(servers, "bench") as (settings, origin):
        lines = await page_load(origin, options.seconds)
        lines += await page_weight(origin)
        lines += await toast_delay(settings, origin, options.trials)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--trials", type=int, default=20)
    options = parser.parse_args()
    if options.quick:
        options.seconds, options.trials = 5.0, 3
    with bench_run("web") as (root, runner), isolated_servers(root, announce=progress) as servers:
        lines = runner.run(run(options, servers))
    print(
        f"BizOSaaS web apps, {platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} CPUs"
    )
    for line in lines:
        print(line)
    finished()


if __name__ == "__main__":
    main()

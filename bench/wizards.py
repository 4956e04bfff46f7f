"""Wizards benchmark: saving a step and finishing a wizard, at 10 concurrent admins, and
what each step's page weighs.

The whole platform runs as ``bizosaas up`` assembles it (every call through the Brain
Gateway), in this process, with the demo tenants seeded; PostgreSQL, Valkey, OpenBao and
Temporal come from ``bizosaas.stack`` (or the ``BIZOSAAS_TEST_*`` variables)::

    .venv/bin/python bench/wizards.py            # about a minute
    .venv/bin/python bench/wizards.py --quick    # smoke run

Figures: (1) 10 tenant admins of one tenant (their load in a process of its own), each
running the payment gateway wizard (its credentials go to Vault) and the campaign builder
(a contest) again and again, first as people work (about a second per step), then flat
out: each step save's and each finish's time through the gateway, p50/p95/p99 (target
p95 <= 100 ms); while working, each first runs onboarding, whose finish makes a dozen
calls through the gateway (profile, settings, achievements, board, program); (2) each
wizard step's page, gzip on the wire and unpacked.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench._auth_load import percentile
from bench._harness import bench_run, finished, progress
from bench._platform import PASSWORD, bearer_token, demo_login, running_platform
from bench.web import sign_in, weigh
from bizosaas.stack.isolated import Servers, isolated_servers

W = "/api/v1/wizards"
ADMINS = 10
P95_TARGET_MS = 100.0
THINK_S = 1.0  # a person reads a step before saving it
TARGETED = ("step save", "finish: payment-gateway", "finish: campaign")
STRIPE = {"publishable_key": "pk_test_" + "Bench000" * 3, "secret_key": "sk_test_" + "Bench111" * 3}
Timings = dict[str, list[float]]


def payment_steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("provider", {"provider": "stripe", "mode": "test"}),
        ("credentials", STRIPE),
        ("activate", {"activate": True}),
    ]


def campaign_steps() -> list[tuple[str, dict[str, Any]]]:
    later = datetime.now() + timedelta(days=30)
    return [
        (
            "goal",
            {"name": f"Bench {uuid.uuid4().hex[:6]}", "kind": "leaderboard_contest", "goal": 9},
        ),
        ("audience", {"platform": "coreldove"}),
        ("rules", {"event_type": "order.completed", "property": "total"}),
        (
            "schedule",
            {
                "starts_at": later.isoformat(timespec="minutes"),
                "ends_at": (later + timedelta(days=7)).isoformat(timespec="minutes"),
            },
        ),
    ]


def onboarding_steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("organisation", {"name": "Acme Corp", "industry": "saas", "timezone": "Europe/Paris"}),
        ("platforms", {"platforms": ["bizoholic"]}),
        ("team", {"invites": []}),
        ("starter", {"categories": ["campaigns", "profile"], "leaderboard_name": "Points"}),
    ]


async def timed(timings: Timings, what: str, call: Any) -> Any:
    started = time.perf_counter()
    async with call as response:
        body = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"{what}: {response.status} {body}")
    timings.setdefault(what, []).append(time.perf_counter() - started)
    return body


async def run_wizard(
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    wizard: str,
    steps: list[tuple[str, dict[str, Any]]],
    timings: Timings,
    think: float,
) -> None:
    """One admin through one wizard, reading each step for about ``think`` seconds."""
    draft = await timed(timings, "start", session.post(f"{W}/{wizard}/drafts", headers=headers))
    for step, answer in steps:
        await asyncio.sleep(random.uniform(0.5, 1.5) * think)
        path = f"{W}/drafts/{draft['id']}/steps/{step}"
        await timed(timings, "step save", session.put(path, json=answer, headers=headers))
    await asyncio.sleep(random.uniform(0.5, 1.5) * think)
    finish = session.post(f"{W}/drafts/{draft['id']}/finish", headers=headers)
    await timed(timings, f"finish: {wizard}", finish)


async def admin_loop(
    origin: str, token: str, seconds: float, think: float, onboard: bool
) -> Timings:
    timings: Timings = {}
    headers = {"Authorization": f"Bearer {token}"}
    until = time.perf_counter() + seconds
    async with aiohttp.ClientSession(origin) as session:
        await asyncio.sleep(random.uniform(0, think))
        if onboard:
            await run_wizard(session, headers, "onboarding", onboarding_steps(), timings, think)
        while time.perf_counter() < until:
            await run_wizard(session, headers, "payment-gateway", payment_steps(), timings, think)
            await run_wizard(session, headers, "campaign", campaign_steps(), timings, think)
    return timings


async def _admins(
    origin: str, tokens: list[str], seconds: float, think: float, onboard: bool
) -> Timings:
    found = await asyncio.gather(*(admin_loop(origin, t, seconds, think, onboard) for t in tokens))
    merged: Timings = {}
    for timings in found:
        for what, taken in timings.items():
            merged.setdefault(what, []).extend(taken)
    return merged


def drive(origin: str, tokens: list[str], seconds: float, think: float, onboard: bool) -> Timings:
    """The admins' load, in a process of its own (not sharing the platform's interpreter)."""
    return asyncio.run(_admins(origin, tokens, seconds, think, onboard))


async def new_admins(origin: str, count: int) -> list[tuple[str, str]]:
    async with aiohttp.ClientSession(origin) as session:
        token = await bearer_token(session, *demo_login("admin@acme-corp.example"))
        admins = []
        for _ in range(count):
            email = f"wizards-{uuid.uuid4().hex[:8]}@acme-corp.example"
            async with session.post(
                "/api/v1/auth/users",
                json={"email": email, "password": PASSWORD, "role": "tenant_admin"},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                response.raise_for_status()
            admins.append((email, await bearer_token(session, email, PASSWORD)))
        return admins


async def concurrency(origin: str, seconds: float) -> list[str]:
    tokens = [token for _, token in await new_admins(origin, ADMINS)]
    lines = []
    for think, label in ((THINK_S, f"working, about {THINK_S:g} s per step"), (0.0, "flat out")):
        progress(f"{ADMINS} admins {label}, for {seconds:.0f} s")
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(1) as pool:
            timings = await asyncio.to_thread(
                pool.apply, drive, (origin, tokens, seconds, think, think > 0)
            )
        lines.append(f"{ADMINS} tenant admins {label}, through the gateway (ms):")
        for what, taken in sorted(timings.items()):
            ms = sorted(s * 1000 for s in taken)
            target = f"  (target p95 <= {P95_TARGET_MS:.0f})" if what in TARGETED else ""
            lines.append(
                f"  {what:<26} n={len(ms):<5} p50 {percentile(ms, 50):6.1f}"
                f"  p95 {percentile(ms, 95):6.1f}  p99 {percentile(ms, 99):6.1f}{target}"
            )
    return lines


async def page_weight(origin: str) -> list[str]:
    """Each wizard's step pages, as its admin sees them."""
    email, _ = (await new_admins(origin, 1))[0]
    lines = ["wizard step pages (gzip on the wire / unpacked, KB):"]
    async with aiohttp.ClientSession(origin, auto_decompress=False) as session:
        session.cookie_jar.update_cookies(await sign_in(session, email, PASSWORD))
        token = await bearer_token(session, email, PASSWORD)
        headers = {"Authorization": f"Bearer {token}"}
        wire, _, _ = await weigh(session, "/admin/wizards")
        lines.append(f"  {'the list of wizards':<40} {wire / 1024:5.1f}")
        async with session.get(W, headers=headers) as response:
            wizards = await response.json()
        for wizard in wizards:
            async with session.post(f"{W}/{wizard['key']}/drafts", headers=headers) as response:
                draft = await response.json()
            for step in draft["steps"]:
                wire, unpacked, _ = await weigh(
                    session, f"/admin/wizards/drafts/{draft['id']}?step={step['key']}"
                )
                name = f"{wizard['title']}: {step['title']}"
                lines.append(f"  {name:<40} {wire / 1024:5.1f} / {unpacked / 1024:5.1f}")
    return lines


async def run(options: argparse.Namespace, servers: Servers) -> list[str]:
    async with running_platform(servers, "wizbench", payment_api_urls=_unreachable()) as (
        _,
        origin,
    ):
        lines = await concurrency(origin, options.seconds)
        lines += await page_weight(origin)
    return lines


def _unreachable() -> dict[str, str]:
    """Payment providers on a closed local port: the check answers "not verified yet" at
    once, so the run measures the platform, not the internet."""
    return {
        name: "http://127.0.0.1:9" for name in ("stripe", "paypal-test", "paypal-live", "razorpay")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    if options.quick:
        options.seconds = 5.0
    with (
        bench_run("wizards") as (root, runner),
        isolated_servers(root, announce=progress) as servers,
    ):
        lines = runner.run(run(options, servers))
    print(
        f"BizOSaaS wizards, {platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} CPUs"
    )
    for line in lines:
        print(line)
    finished()


if __name__ == "__main__":
    main()

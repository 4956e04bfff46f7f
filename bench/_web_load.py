"""The web benchmark's load: signed-in visitors opening pages, in a process of its own (so
the load does not share the platform's CPU time slice in one interpreter)."""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp


async def _visitor(
    origin: str,
    cookies: dict[str, str],
    pages: list[str],
    seconds: float,
    think: float,
    timings: dict[str, list[float]],
    failures: list[str],
) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(origin, cookie_jar=jar) as session:
        session.cookie_jar.update_cookies(cookies)
        for path in pages:  # warm up: the first visit of each page is not counted
            async with session.get(path, allow_redirects=False) as response:
                await response.read()
        # People do not click in step: each starts at a moment of its own and reads a page
        # for a while around `think` before opening the next.
        await asyncio.sleep(random.uniform(0, think))
        i, until = 0, time.perf_counter() + seconds
        while time.perf_counter() < until:
            path = pages[i % len(pages)]
            i += 1
            started = time.perf_counter()
            async with session.get(path, allow_redirects=False) as response:
                await response.read()
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")
                    continue
            timings.setdefault(path, []).append(time.perf_counter() - started)
            await asyncio.sleep(random.uniform(0.5, 1.5) * think)


async def _load(
    origin: str, visitors: list[tuple[dict[str, str], list[str]]], seconds: float, think: float
) -> tuple[dict[str, list[float]], list[str]]:
    timings: dict[str, list[float]] = {}
    failures: list[str] = []
    await asyncio.gather(
        *(_visitor(origin, c, p, seconds, think, timings, failures) for c, p in visitors)
    )
    return timings, failures


def run_load(
    origin: str,
    visitors: list[tuple[dict[str, str], list[str]]],
    seconds: float,
    think: float,
) -> tuple[dict[str, list[float]], list[str]]:
    """Each visitor opens its pages one after another, ``think`` seconds apart, in a loop,
    for ``seconds``: the seconds each page took, and what failed."""
    return asyncio.run(_load(origin, visitors, seconds, think))

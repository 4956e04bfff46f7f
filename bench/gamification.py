"""Gamification benchmark: event throughput and lag through the API; a 1,000,000-member board.

Everything is real and local: PostgreSQL, Valkey and OpenBao (started here from
``bizosaas.stack``, or named by the same ``BIZOSAAS_TEST_*`` variables as the tests),
the gamification service in its own uvicorn process with its event processor, and
aiohttp clients posting batches of events with a tenant API key over 127.0.0.1::

    .venv/bin/python bench/gamification.py              # full run, a few minutes
    .venv/bin/python bench/gamification.py --quick      # smoke run
    .venv/bin/python bench/gamification.py --seconds 60 --clients 8 --workers 2

Figures: (1) events accepted per second by ``POST /api/v1/gamification/events`` in
batches of 100, with the request latency; (2) events processed per second into
achievement progress, unlocks and leaderboard scores (from the first acceptance
to the last event processed), and the lag from acceptance to processed (p50, p95,
p99, read from the event log's own timestamps); (3) a 1,000,000-member board: top
10, a member's rank, the members around a member (p50/p99 over 2,000 queries each)
and a full rebuild of the rank cache from PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import orjson
from sqlalchemy import text

import bizosaas
from bench._auth_load import percentile
from bench._auth_procs import (
    AuthService,
    profiling,
)
from bench._auth_stack import (
    bench_settings,
    running_servers,
)
from bench._gamification_setup import (
    BenchTenant,
    create_bench_tenant,
    define_programs,
)
from bench._harness import bench_run, progress
from bizosaas.core.database import Database, RowScope
from bizosaas.core.settings import Settings
from bizosaas.stack.isolated import Servers

THROUGHPUT_TARGET = 2000.0  # events/s
LAG_TARGET_P95_S = 2.0
BATCH = 100


def _batch(tenant: BenchTenant, rng: random.Random, size: int) -> bytes:
    """A realistic mix: orders with totals, campaigns, products, logins on varied days."""
    now = datetime.now(UTC)
    events = []
    for _ in range(size):
        member = rng.choice(tenant.members)
        kind = rng.random()
        props: dict[str, object]
        if kind < 0.5:
            type_, props = "order.completed", {"total": round(rng.uniform(5, 500), 2)}
        elif kind < 0.7:
            type_, props = "campaign.launched", {"channel": rng.choice(["email", "social", "ads"])}
        elif kind < 0.85:
            type_, props = "product.listed", {"category": rng.choice(["a", "b", "c", "d"])}
        else:
            type_, props = "member.login", {}
        occurred = now - timedelta(days=rng.randint(0, 6), seconds=rng.randint(0, 3600))
        events.append(
            {
                "event_id": uuid.uuid4().hex,
                "type": type_,
                "user_id": str(member),
                "properties": props,
                "occurred_at": occurred.isoformat(),
            }
        )
    return orjson.dumps({"events": events})


async def _client(
    http: aiohttp.ClientSession,
    tenant: BenchTenant,
    seed: int,
    until: float,
    latencies: list[float],
    counts: list[int],
    interval: float = 0.0,
) -> None:
    """Send batches back to back, or one every `interval` seconds (an offered load)."""
    rng = random.Random(seed)
    headers = {"X-API-Key": tenant.api_key, "Content-Type": "application/json"}
    next_at = time.monotonic() + rng.uniform(0, interval)
    while time.monotonic() < until:
        if interval:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
        body = _batch(tenant, rng, BATCH)
        started = time.perf_counter()
        async with http.post("/api/v1/gamification/events", data=body, headers=headers) as r:
            payload = await r.read()
            if r.status != 202:
                raise RuntimeError(f"events refused: {r.status} {payload[:300]!r}")
        latencies.append((time.perf_counter() - started) * 1000)
        counts.append(orjson.loads(payload)["accepted"])


async def _wait_processed(settings: Settings, tenant: BenchTenant, within: float) -> None:
    database = Database(settings.gamification_database_url, pool_size=1)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            async with database.transaction(RowScope.tenant(tenant.tenant_id)) as db:
                pending = (
                    await db.execute(
                        text("SELECT count(*) FROM gamification_events WHERE status = 'pending'")
                    )
                ).scalar_one()
            if pending == 0:
                return
            await asyncio.sleep(0.25)
        raise RuntimeError(f"{pending} events still pending after {within:.0f} s")
    finally:
        await database.dispose()


async def _lag_figures(settings: Settings, tenant: BenchTenant) -> dict[str, float]:
    database = Database(settings.gamification_database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.tenant(tenant.tenant_id)) as db:
            row = (
                await db.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE status = 'processed'),"
                        " count(*) FILTER (WHERE status = 'failed'),"
                        " extract(epoch FROM max(processed_at) - min(received_at)),"
                        " percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP"
                        "  (ORDER BY extract(epoch FROM processed_at - received_at))"
                        " FROM gamification_events"
                    )
                )
            ).one()
    finally:
        await database.dispose()
    processed, failed, span, lags = row
    return {
        "processed": float(processed),
        "failed": float(failed),
        "span": float(span or 0.0),
        "lag_p50": float(lags[0]),
        "lag_p95": float(lags[1]),
        "lag_p99": float(lags[2]),
    }


async def run_events(options: argparse.Namespace, servers: Servers, root: Path) -> list[str]:
    lines: list[str] = []
    async with bench_settings(servers, pool_size=options.pool_size, require_gateway=False) as s:
        tenant = await create_bench_tenant(s, options.members)
        await define_programs(s, tenant)
        separate = not options.in_process
        api_settings = s.model_copy(update={"gamification_processor_in_api": not separate})
        service = AuthService(
            api_settings,
            workers=options.workers,
            log_file=root / "gamification.log",
            factory="bench.gamification_server:create_app",
            name="gamification service",
        )
        worker = AuthService(
            s,
            workers=1,
            log_file=root / "worker.log",
            factory="bench.gamification_server:create_worker",
            name="gamification worker",
        )
        service.start()
        if separate:
            worker.start()
        try:
            connector = aiohttp.TCPConnector(limit=options.clients)
            async with aiohttp.ClientSession(
                base_url=service.base_url, connector=connector
            ) as http:
                await service.wait_ready(http)
                if separate:
                    async with aiohttp.ClientSession(base_url=worker.base_url) as probe:
                        await worker.wait_ready(probe)
                progress(f"warming up ({options.warmup} s)")
                warm_l: list[float] = []
                warm_c: list[int] = []
                until = time.monotonic() + options.warmup
                await asyncio.gather(
                    *(_client(http, tenant, -i, until, warm_l, warm_c) for i in range(2))
                )
                await _wait_processed(s, tenant, 120)
                await _reset_log_clock(s, tenant)
                with profiling(service, options.profile, options.seconds):
                    paced = await _phase(
                        http, s, tenant, options.clients, options.seconds, rate=options.rate
                    )
                flat = None
                if not options.no_flat_out:
                    await _reset_log_clock(s, tenant)
                    flat = await _phase(
                        http, s, tenant, options.clients, options.seconds, rate=None
                    )
                rss = service.memory().rss_mb
                worker_rss = worker.memory().rss_mb if separate else 0.0
        finally:
            service.stop()
            if separate:
                worker.stop()
    lines.append(_describe(f"offered {options.rate:,.0f} events/s", paced, paced=True))
    if flat is not None:
        lines.append(_describe("flat out: intake as fast as the API answers", flat, paced=False))
    layout = "API and a separate worker process" if separate else "processor inside the API process"
    lines.insert(0, f"layout: {layout}, {options.workers} API worker(s)")
    lines.append(
        f"RSS after the runs: API {rss:.0f} MB"
        + (f", worker {worker_rss:.0f} MB" if separate else "")
    )
    return lines


async def _phase(
    http: aiohttp.ClientSession,
    settings: Settings,
    tenant: BenchTenant,
    clients: int,
    seconds: float,
    rate: float | None,
) -> dict[str, float]:
    """Send for `seconds` (at `rate` events/s in all, or as fast as answers come back),
    wait for the processor to finish, and read the figures off the event log."""
    interval = clients * BATCH / rate if rate else 0.0
    how = f"at {rate:,.0f} events/s" if rate else "back to back"
    progress(f"{clients} clients send batches of {BATCH} {how} for {seconds:.0f} s")
    latencies: list[float] = []
    counts: list[int] = []
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(
        *(_client(http, tenant, i, until, latencies, counts, interval) for i in range(clients))
    )
    sent_for = time.monotonic() - started
    progress("waiting for the processor to catch up")
    await _wait_processed(settings, tenant, 900)
    figures = await _lag_figures(settings, tenant)
    latencies.sort()
    figures.update(
        accepted=float(sum(counts)),
        sent_for=sent_for,
        requests=float(len(counts)),
        req_p50=percentile(latencies, 50),
        req_p95=percentile(latencies, 95),
        req_p99=percentile(latencies, 99),
    )
    return figures


def _describe(title: str, f: dict[str, float], paced: bool) -> str:
    processed_rate = f["processed"] / f["span"] if f["span"] else 0.0
    if paced:  # bounded by the offered load: the question is whether processing kept up
        rate_ok = "kept up" if f["lag_p95"] <= LAG_TARGET_P95_S else "fell behind"
    else:
        rate_ok = "met" if processed_rate >= THROUGHPUT_TARGET else "MISSED"
    lag_ok = "met" if f["lag_p95"] <= LAG_TARGET_P95_S else "MISSED"
    return "\n".join(
        [
            f"[{title}]",
            f"  accepted by the API: {f['accepted']:,.0f} events in {f['sent_for']:.1f} s = "
            f"{f['accepted'] / f['sent_for']:,.0f} events/s ({f['requests']:.0f} requests of "
            f"{BATCH}; request p50 {f['req_p50']:.1f} ms, p95 {f['req_p95']:.1f} ms, "
            f"p99 {f['req_p99']:.1f} ms)",
            f"  processed (achievements + leaderboards): {f['processed']:,.0f} in "
            f"{f['span']:.1f} s = {processed_rate:,.0f} events/s (target >= "
            f"{THROUGHPUT_TARGET:,.0f}: {rate_ok})"
            f"; failed: {f['failed']:.0f}",
            f"  lag from acceptance to processed: p50 {f['lag_p50']:.2f} s, "
            f"p95 {f['lag_p95']:.2f} s, p99 {f['lag_p99']:.2f} s (target p95 <= "
            f"{LAG_TARGET_P95_S:.0f} s: {lag_ok})",
        ]
    )


async def _reset_log_clock(settings: Settings, tenant: BenchTenant) -> None:
    """Forget the warm-up's events from the figures (they stay processed; only counted apart)."""
    database = Database(settings.gamification_owner_database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.platform_wide()) as db:
            await db.execute(
                text("DELETE FROM gamification_events WHERE tenant_id = :t"),
                {"t": tenant.tenant_id},
            )
    finally:
        await database.dispose()


async def run_board(options: argparse.Namespace, servers: Servers) -> list[str]:
    from bench._leaderboard_bench import measure_board

    async with bench_settings(servers, pool_size=None, require_gateway=False) as s:
        return await measure_board(s, options.board_members)


async def run(options: argparse.Namespace, servers: Servers, root: Path) -> list[str]:
    lines = [
        f"BizOSaaS {bizosaas.__version__} gamification benchmark — "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; servers: {servers.description}",
    ]
    if not options.skip_events:
        lines += await run_events(options, servers, root)
    if not options.skip_board:
        lines += await run_board(options, servers)
    return lines


def main(options: argparse.Namespace) -> None:
    with bench_run("gamification-bench") as (root, runner), running_servers(root) as servers:
        lines = runner.run(run(options, servers, root))
    print("\n".join(lines))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--rate", type=float, default=THROUGHPUT_TARGET, help="offered events/s, paced phase"
    )
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--board-members", type=int, default=1_000_000)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the processor inside the API process (as `bizosaas up` does) instead of a "
        "separate worker process (as containers do)",
    )
    parser.add_argument("--skip-events", action="store_true")
    parser.add_argument("--no-flat-out", action="store_true", help="only the paced phase")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the service during the paced phase"
    )
    parser.add_argument("--skip-board", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10 s of events, 100,000 members")
    options = parser.parse_args(argv)
    if options.quick:
        options.seconds, options.board_members, options.members = 10.0, 100_000, 1000
    return options


if __name__ == "__main__":
    main(parse())

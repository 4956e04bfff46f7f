"""Leaderboard benchmark: a board of a million members, and event processing into boards.

Everything is real and local: servers, a database and a Redis prefix of the run's
own come from ``bench._auth_stack`` (the ``BIZOSAAS_TEST_*`` variables, or servers
started here), removed at the end. ``bench/gamification.py`` calls
:func:`measure_board` (and may call :func:`define_boards`); on its own::

    .venv/bin/python bench/_leaderboard_bench.py               # 1,000,000 members
    .venv/bin/python bench/_leaderboard_bench.py --members 100000 --events 20000

Figures: (1) bulk-loading the board's rows into PostgreSQL (``INSERT … SELECT FROM
unnest(…)`` in chunks, as the service's own role: row-level security refuses COPY
to every role but a superuser); (2) a full rebuild of the live ranks from
PostgreSQL through the service (server-side cursor, pipelined ZADD/HSET in chunks
of 10,000); (3) top 10, a member's rank and the members around a member, through
the service functions the endpoints call — the call alone (privacy query and one
Lua call), and the request's whole unit of work (scoped transaction and board
lookup too) — sequential, p50, p99 and max; (4) the event processor with the
leaderboards handler only, three boards, batches of 1,000 pending events.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench._harness import progress

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bizosaas.core.database import Database, RowScope
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory
from bizosaas.core.redis import Keys, create_redis
from bizosaas.core.repository import PageRequest
from bizosaas.core.settings import Settings
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.leaderboards import service
from bizosaas.gamification.leaderboards.handler import LeaderboardHandler
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.platform import PlatformBoards
from bizosaas.gamification.leaderboards.ranks import RankCache
from bizosaas.gamification.leaderboards.repository import BoardRepository
from bizosaas.gamification.leaderboards.schemas import LeaderboardCreate
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.notifications.service import Notifier

LOAD_CHUNK = 50_000
BOARDS: tuple[dict[str, Any], ...] = (
    {"key": "revenue", "event_type": "order.completed", "property": "total"},
    {
        "key": "biggest-today",
        "event_type": "order.completed",
        "property": "total",
        "operator": "max",
        "period": "daily",
    },
    {
        "key": "orders-weekly",
        "event_type": "order.completed",
        "operator": "count",
        "period": "weekly",
        "max_change_per_period": 1000,
    },
)
_LOAD = text(
    """
    INSERT INTO leaderboard_entries (tenant_id, leaderboard_id, period_start, member_id, score,
                                     period_change, reached_at, updated_at)
    SELECT CAST(:tenant AS uuid), CAST(:board AS uuid), CAST(:period AS timestamptz),
           u.member, u.score, u.score, u.reached, now()
    FROM unnest(CAST(:members AS uuid[]), CAST(:scores AS numeric[]),
                CAST(:reached AS timestamptz[])) AS u(member, score, reached)
    """
)
_EVENTS = text(
    """
    INSERT INTO gamification_events (tenant_id, event_id, type, user_id, properties,
                                     occurred_at, received_at, source, status, attempts)
    SELECT CAST(:tenant AS uuid), u.event_id, 'order.completed', u.user_id,
           jsonb_build_object('total', u.total), u.occurred_at, now(), 'api_key', 'pending', 0
    FROM unnest(CAST(:ids AS text[]), CAST(:users AS uuid[]), CAST(:totals AS integer[]),
                CAST(:times AS timestamptz[])) AS u(event_id, user_id, total, occurred_at)
    """
)


@dataclass(frozen=True)
class Timing:
    name: str
    samples: list[float]  # seconds

    def row(self) -> str:
        ms = sorted(s * 1000 for s in self.samples)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"  {self.name:<42} {statistics.median(ms):8.3f} {p99:8.3f} {ms[-1]:8.3f}"
            f"   (n={len(ms)})"
        )


async def timed(name: str, runs: int, call: Callable[[int], Awaitable[float | None]]) -> Timing:
    """Time ``call`` ``runs`` times; a call may return the part of its time that counts."""
    for i in range(min(50, runs)):  # warm up connections, scripts and caches
        await call(i)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        spent = await call(i)
        samples.append(spent if spent is not None else time.perf_counter() - started)
    return Timing(name, samples)


@dataclass
class Service:
    """What the gamification service holds for leaderboards, built from bench settings."""

    database: Database
    live: LiveRanks
    keys: Keys

    @classmethod
    def of(cls, settings: Settings, pool_size: int = 4) -> Service:
        redis = create_redis(settings.redis_url)
        keys = Keys(settings.redis_prefix)
        database = Database(settings.gamification_database_url, pool_size=pool_size)
        return cls(database, LiveRanks(database, RankCache(redis, keys)), keys)

    async def close(self) -> None:
        await self.live.ranks.redis.aclose()
        await self.database.dispose()


async def define_boards(settings: Settings, tenant_id: uuid.UUID) -> list[Leaderboard]:
    """A tenant's typical boards: all-time revenue, today's biggest order, orders this week."""
    svc = Service.of(settings, pool_size=1)
    try:
        return [await _board(svc, tenant_id, rules) for rules in BOARDS]
    finally:
        await svc.close()


async def define_points_board(settings: Settings, tenant_id: uuid.UUID) -> Leaderboard:
    """This week's points from unlocked achievements."""
    svc = Service.of(settings, pool_size=1)
    try:
        rules = {"key": "points-weekly", "metric": "points", "operator": "sum", "period": "weekly"}
        return await _board(svc, tenant_id, rules)
    finally:
        await svc.close()


async def _board(svc: Service, tenant_id: uuid.UUID, rules: dict[str, Any]) -> Leaderboard:
    body = LeaderboardCreate.model_validate({"name": rules["key"], "metric": "event"} | rules)
    async with svc.database.transaction(RowScope.tenant(tenant_id)) as db:
        return await service.create_board(BoardRepository(db), svc.live, body)


# -- (1-3) a board of a million members ------------------------------------------------------


async def measure_board(settings: Settings, members: int, samples: int = 2000) -> list[str]:
    svc = Service.of(settings)
    live, tenant_id = svc.live, uuid.uuid4()
    lines = [f"Leaderboards: one board of {members:,} members"]
    board = await _board(svc, tenant_id, BOARDS[0])
    try:
        ids = [uuid.uuid4() for _ in range(members)]
        progress(f"bulk-loading {members:,} entries into PostgreSQL")
        started = time.perf_counter()
        await _load_entries(svc, tenant_id, board, ids)
        lines.append(
            f"  bulk load, {LOAD_CHUNK:,} rows a statement: {time.perf_counter() - started:.1f} s"
        )

        progress("rebuilding the live ranks from PostgreSQL")
        rebuilt = await live.ensure_ready(tenant_id, board.id, force=True)
        assert rebuilt is not None and rebuilt.members == members
        lines.append(
            f"  full rebuild from PostgreSQL: {rebuilt.seconds:.1f} s "
            f"({rebuilt.members / rebuilt.seconds:,.0f} members/s)   target <= 60 s"
        )
        redis = live.ranks.redis
        zset = await redis.memory_usage(live.slot(board).z) or 0
        lookup = await redis.memory_usage(live.slot(board).h) or 0
        lines.append(
            f"  Redis memory: sorted set {zset / 2**20:.0f} MiB, hash {lookup / 2**20:.0f} MiB"
        )

        progress("timing reads")
        rng = random.Random(7)
        picks = [rng.choice(ids) for _ in range(samples + 50)]
        del ids
        gc.collect()
        gc.freeze()  # the bench's own million objects are not the service's garbage
        lines.append(f"  {'read, sequential':<42} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        lines += [t.row() for t in await _reads(svc, tenant_id, board, picks, samples)]
        lines.append("  targets: top 10, rank and around p99 <= 5 ms each")
    finally:
        gc.unfreeze()
        await live.ranks.redis.delete(*live.slot(board).all)
        await svc.close()
    return lines


async def _load_entries(
    svc: Service, tenant_id: uuid.UUID, board: Leaderboard, ids: list[uuid.UUID]
) -> None:
    rng = random.Random(1)
    base = datetime.now(UTC) - timedelta(days=30)
    for start in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[start : start + LOAD_CHUNK]
        async with svc.database.transaction(RowScope.tenant(tenant_id)) as db:
            await db.execute(
                _LOAD,
                {
                    "tenant": tenant_id,
                    "board": board.id,
                    "period": board.period_start,
                    "members": chunk,
                    "scores": [Decimal(rng.randint(0, 50_000)) / 4 for _ in chunk],  # ties
                    "reached": [
                        base + timedelta(seconds=rng.randint(0, 30 * 86400)) for _ in chunk
                    ],
                },
            )
    async with svc.database.transaction(RowScope.tenant(tenant_id)) as db:
        await db.execute(text("ANALYZE leaderboard_entries"))


async def _reads(
    svc: Service, tenant_id: uuid.UUID, board: Leaderboard, picks: list[uuid.UUID], samples: int
) -> list[Timing]:
    live = svc.live

    async def top10(db: Any, b: Leaderboard, i: int) -> Any:
        return await service.standings(db, live, picks[i], b, PageRequest(None, 10))

    async def rank(db: Any, b: Leaderboard, i: int) -> Any:
        return await service.my_standing(
            db, live, Caller(tenant_id, picks[i], None, frozenset()), b
        )

    async def around(db: Any, b: Leaderboard, i: int) -> Any:
        viewer = Caller(tenant_id, picks[0], None, frozenset())
        return await service.around(db, live, viewer, b, picks[i], 5)

    def request(call: Callable[[Any, Leaderboard, int], Awaitable[Any]], alone: bool) -> Any:
        async def measured(i: int) -> float | None:
            async with svc.database.transaction(RowScope.tenant(tenant_id)) as db:
                b = await BoardRepository(db).by_id(board.id)
                assert b is not None
                started = time.perf_counter()
                await call(db, b, i)
                spent = time.perf_counter() - started
            return spent if alone else None

        return measured

    async def next_page(i: int) -> None:  # the page after a member at a random place
        _, _, placed = await live.around(board, picks[i], 0, 0)
        await live.ranks.page(live.slot(board), (placed[0].member, placed[0].zscore), 10)

    timings = []
    for name, call in (("top 10", top10), ("rank and score (/me)", rank), ("around, k=5", around)):
        timings.append(await timed(f"{name}: service call", samples, request(call, True)))
        timings.append(await timed(f"{name}: + transaction, board", samples, request(call, False)))
    timings.append(await timed("page after a cursor: Redis only", samples, next_page))
    return timings


# -- (4) processing ------------------------------------------------------------------------


async def measure_processing(settings: Settings, events: int, members: int) -> list[str]:
    """The event processor with the leaderboards handler alone (three boards)."""
    svc = Service.of(settings)
    live, redis, tenant_id = svc.live, svc.live.ranks.redis, uuid.uuid4()
    handler = LeaderboardHandler(live, PlatformBoards(svc.database))
    processor = EventProcessor(
        svc.database,
        [handler],
        MemberService(
            svc.database, MemberDirectory(redis, svc.keys), ClaimsSnapshot(redis, svc.keys)
        ),
        Notifier(redis, svc.keys),
    )
    try:
        for rules in BOARDS:
            await _board(svc, tenant_id, rules)
        progress(f"storing {events:,} pending events of {members:,} members")
        await _pending_events(svc, tenant_id, events, members)
        share = [0.0]
        apply, write = handler.apply, live.write

        async def timed_apply(db: Any, batch: Any) -> None:
            started = time.perf_counter()
            await apply(db, batch)
            share[0] += time.perf_counter() - started

        async def timed_write(tenant: Any, writes: Any) -> None:
            started = time.perf_counter()
            await write(tenant, writes)
            share[0] += time.perf_counter() - started

        handler.apply = timed_apply  # type: ignore[method-assign]
        live.write = timed_write  # type: ignore[method-assign]
        progress("processing")
        started = time.perf_counter()
        done = 0
        while done < events:
            count = await processor.process_tenant(tenant_id)
            if count == 0:
                break
            done += count
        seconds = time.perf_counter() - started
        return [
            f"Leaderboards in processing: {done:,} events, 3 boards, {members:,} members, "
            "batches of 1,000, one process",
            f"  the processor with this handler alone: {seconds:.1f} s "
            f"= {done / seconds:,.0f} events/s",
            f"  of which the leaderboards handler (apply + rank writes): {share[0]:.1f} s "
            f"= {done / share[0]:,.0f} events/s",
        ]
    finally:
        async for key in redis.scan_iter(match=f"{settings.redis_prefix}:*", count=1000):
            await redis.delete(key)
        await svc.close()


async def _pending_events(svc: Service, tenant_id: uuid.UUID, events: int, members: int) -> None:
    rng = random.Random(3)
    people = [uuid.uuid4() for _ in range(members)]
    now = datetime.now(UTC)
    for start in range(0, events, LOAD_CHUNK):
        span = range(start, min(events, start + LOAD_CHUNK))
        async with svc.database.transaction(RowScope.tenant(tenant_id)) as db:
            await db.execute(
                _EVENTS,
                {
                    "tenant": tenant_id,
                    "ids": [f"e-{i}" for i in span],
                    "users": [rng.choice(people) for _ in span],
                    "totals": [rng.randint(1, 500) for _ in span],
                    "times": [now - timedelta(milliseconds=events - i) for i in span],
                },
            )


# -- on its own ----------------------------------------------------------------------------


async def run(members: int, samples: int, events: int, event_members: int) -> list[str]:
    from bench._auth_stack import (
        bench_settings,
        running_servers,
    )

    root = Path(tempfile.mkdtemp(prefix="bizosaas-leaderboard-bench-"))
    try:
        with running_servers(root) as servers:
            async with bench_settings(servers, pool_size=None, require_gateway=False) as settings:
                lines = await measure_board(settings, members, samples)
                lines += await measure_processing(settings, events, event_members)
                return lines
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--event-members", type=int, default=5_000)
    args = parser.parse_args(argv)
    for line in asyncio.run(run(args.members, args.samples, args.events, args.event_members)):
        print(line)


if __name__ == "__main__":
    main()

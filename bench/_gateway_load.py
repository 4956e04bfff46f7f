"""The load generator of ``bench/gateway.py``: its own process, one event loop, lean.

Kept apart from the servers so that its event loop never delays theirs (it still
competes for the machine's cores: the benchmark reports what it spends). It reads
one JSON phase per line on stdin, and for each writes ``{"event": "measuring"}``
when the warm-up is over and ``{"event": "done", ...}`` with the figures, so the
parent can read every process's CPU time around exactly the measured window::

    {"url": "http://127.0.0.1:8002/api/v1/x", "headers": {}, "clients": 50,
     "seconds": 10, "warmup_seconds": 1, "max_requests": 1000000}

Each client is a coroutine with its own keep-alive connection, sending GETs back
to back; no per-request logging, only a float appended per answer.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
import orjson
import yarl

REQUEST_TIMEOUT = 30.0


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(message).decode() + "\n")
    sys.stdout.flush()


async def run_phase(spec: dict[str, Any]) -> dict[str, Any]:
    url = yarl.URL(spec["url"])
    headers: dict[str, str] = spec.get("headers", {})
    clients = int(spec["clients"])
    max_requests = int(spec["max_requests"])
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = 0
    clock = time.perf_counter

    async def client(http: aiohttp.ClientSession, deadline: float, record: bool) -> None:
        nonlocal issued
        while clock() < deadline and (not record or issued < max_requests):
            if record:
                issued += 1
            started = clock()
            try:
                async with http.get(url, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                if record:
                    errors[type(exc).__name__] += 1
                continue
            if not record:
                continue
            if 200 <= status < 300:
                latencies.append((clock() - started) * 1000)
            else:
                errors[f"HTTP {status}"] += 1

    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as http:
        warm_until = clock() + float(spec["warmup_seconds"])
        await asyncio.gather(*(client(http, warm_until, False) for _ in range(clients)))
        emit({"event": "measuring"})
        started = clock()
        cpu_started = time.process_time()
        deadline = started + float(spec["seconds"])
        await asyncio.gather(*(client(http, deadline, True) for _ in range(clients)))
        elapsed = clock() - started
        cpu = time.process_time() - cpu_started
    latencies.sort()
    return {
        "event": "done",
        "ok": len(latencies),
        "errors": dict(errors),
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else math.nan,
    }


def main() -> int:
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        emit({"event": "ready"})
        for line in sys.stdin:
            if line.strip():
                emit(runner.run(run_phase(orjson.loads(line))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

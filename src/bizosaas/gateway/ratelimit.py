"""Rate limits shared by every gateway copy: GCRA in Redis, one atomic script per request.

GCRA (the generic cell rate algorithm) keeps one number per key — the theoretical
arrival time — and allows ``limit`` requests in any window of ``period``, spread
or in a burst. The script reads Redis' own clock, so gateway copies never
disagree about time. If Redis cannot be reached the gateway keeps serving with
the same algorithm per process, and says so in ``/ready`` and the logs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bizosaas.core.logging import get_logger
from bizosaas.core.redis import Keys

log = get_logger("bizosaas.gateway.ratelimit")

GCRA = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  return {0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, 0, new_tat - now}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # seconds until the next request would be allowed
    reset: float  # seconds until the whole quota is available again

    def headers(self, period_seconds: int) -> list[tuple[bytes, bytes]]:
        values = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(math.ceil(self.reset)).encode()),
            (b"ratelimit-policy", f"{self.limit};w={period_seconds}".encode()),
        ]
        if not self.allowed:
            values.append((b"retry-after", str(max(1, math.ceil(self.retry_after))).encode()))
        return values


def _decide(limit: int, period: int, allowed: bool, wait_us: float, backlog_us: float) -> Decision:
    interval = period * 1_000_000 / limit
    remaining = max(0, int((period * 1_000_000 - backlog_us) // interval))
    return Decision(allowed, limit, remaining, wait_us / 1e6, backlog_us / 1e6)


class RateLimiter:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._script = redis.register_script(GCRA)
        self._local: dict[str, float] = {}  # fallback: key -> theoretical arrival time (us)
        self.degraded = False

    async def hit(self, key: str, limit: int, period_seconds: int) -> Decision:
        interval = period_seconds * 1_000_000 / limit
        tolerance = period_seconds * 1_000_000
        try:
            allowed, wait, backlog = await self._script(
                keys=[self.keys("ratelimit", key)], args=[interval, tolerance]
            )
        except (RedisError, OSError) as exc:
            if not self.degraded:
                log.warning("redis unreachable: rate limiting per process", error=str(exc))
            self.degraded = True
            return self._hit_locally(key, limit, period_seconds, interval, tolerance)
        if self.degraded:
            log.info("redis reachable again: rate limits are shared")
            self.degraded = False
        return _decide(limit, period_seconds, bool(allowed), float(wait), float(backlog))

    def _hit_locally(
        self, key: str, limit: int, period: int, interval: float, tolerance: float
    ) -> Decision:
        now = time.time() * 1_000_000
        tat = max(self._local.get(key, now), now)
        new_tat = tat + interval
        if new_tat - tolerance > now:
            return _decide(limit, period, False, new_tat - tolerance - now, tat - now)
        self._local[key] = new_tat
        if len(self._local) > 100_000:  # keep memory bounded: drop drained keys
            self._local = {k: v for k, v in self._local.items() if v > now}
        return _decide(limit, period, True, 0, new_tat - now)
